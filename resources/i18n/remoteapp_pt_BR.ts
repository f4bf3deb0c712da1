<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="pt_BR">
<context>
    <name></name>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="93"/>
        <source>{title} - agent {name}</source>
        <extracomment>the sessions in progress</extracomment>
        <translation>{title} - agente {name}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="96"/>
        <source>Log out</source>
        <translation>Sair</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="99"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="165"/>
        <source>Your ID</source>
        <translation>Seu ID</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="115"/>
        <source>Remote access</source>
        <translation>Acesso remoto</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="116"/>
        <source>Queue</source>
        <translation>Fila</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="117"/>
        <source>Sessions in progress</source>
        <translation>Atendimentos em andamento</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_records.py" line="108"/>
        <source>The ticket system refused {count} session record(s) for good: they are kept on this computer; ask your administrator (the reason is in the log).</source>
        <translation>O sistema de tickets recusou {count} registro(s) de atendimento em definitivo: eles ficam guardados neste computador; fale com o seu administrador (o motivo está no log).</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_records.py" line="100"/>
        <source>{count} session record(s) will be sent when you log in again.</source>
        <translation>{count} registro(s) de atendimento serão enviados quando você entrar de novo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="60"/>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="85"/>
        <source>Connect</source>
        <extracomment>the queue&apos;s ID and password: the server sends them to admins only</extracomment>
        <translation>Conectar</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="61"/>
        <source>Partner ID</source>
        <translation>ID do parceiro</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="73"/>
        <location filename="../../remoteapp/ui/customer_texts.py" line="35"/>
        <source>Name</source>
        <extracomment>each row&apos;s ``queue_ref``, as last shown</extracomment>
        <translation>Nome</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="74"/>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="137"/>
        <location filename="../../remoteapp/ui/customer_texts.py" line="38"/>
        <source>Organization</source>
        <translation>Organização</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="75"/>
        <source>Classification</source>
        <translation>Classificação</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="76"/>
        <source>Waiting time</source>
        <translation>Tempo de espera</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="77"/>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="78"/>
        <source>Password (server part)</source>
        <translation>Senha (parte do servidor)</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="137"/>
        <source>Agent</source>
        <extracomment>every session of the app</extracomment>
        <translation>Atendente</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="137"/>
        <source>Customer</source>
        <translation>Cliente</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="137"/>
        <source>Duration</source>
        <translation>Duração</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="143"/>
        <source>All sessions of this app</source>
        <extracomment>this window&apos;s own sessions</extracomment>
        <translation>Todas as sessões deste aplicativo</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="145"/>
        <source>Your sessions in this window</source>
        <translation>Suas sessões nesta janela</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="151"/>
        <source>{agent} (you)</source>
        <translation>{agent} (você)</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="194"/>
        <source>A partner ID has 9 digits.</source>
        <translation>O ID do parceiro tem 9 dígitos.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="216"/>
        <source>Choose a customer in the queue.</source>
        <translation>Escolha um cliente na fila.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="228"/>
        <location filename="../../remoteapp/ui/agent_window.py" line="278"/>
        <source>A connection is under way.</source>
        <translation>Uma conexão já está em andamento.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="259"/>
        <source>The password has {count} letters and digits.</source>
        <translation>A senha tem {count} letras e números.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="365"/>
        <source>Partner password</source>
        <translation>Senha do parceiro</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="366"/>
        <source>Password of {partner}:</source>
        <translation>Senha de {partner}:</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="317"/>
        <source>Too many wrong passwords. Try again in {seconds} s.</source>
        <translation>Senhas erradas demais. Tente novamente em {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="323"/>
        <source>Wrong partner ID or password.</source>
        <translation>ID do parceiro ou senha incorretos.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="324"/>
        <source>Wrong password, try again.</source>
        <translation>Senha incorreta, tente novamente.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="33"/>
        <source>This connect code has expired: copy the customer again from the monitoring page.</source>
        <translation>Este código de conexão expirou: copie o cliente novamente na tela de acompanhamento.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="37"/>
        <source>This connect code was issued to another agent or is damaged: copy the customer again from the monitoring page.</source>
        <translation>Este código de conexão foi emitido para outro atendente ou está danificado: copie o cliente novamente na tela de acompanhamento.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="41"/>
        <source>The partner is not online: ask them to open the app.</source>
        <translation>O parceiro não está online: peça que ele abra o aplicativo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="43"/>
        <source>The partner is already in a session.</source>
        <translation>O parceiro já está em um atendimento.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="45"/>
        <source>Only agents can connect.</source>
        <translation>Somente atendentes podem se conectar.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="48"/>
        <source>You are not an agent of this app: ask an administrator to add you to its agents.</source>
        <translation>Você não é atendente deste aplicativo: peça a um administrador que o inclua entre os atendentes.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="51"/>
        <source>Not allowed: {reason}</source>
        <translation>Não permitido: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="53"/>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="110"/>
        <source>Cannot connect: {reason}</source>
        <translation>Não foi possível conectar: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="61"/>
        <source>The support team asks for details this form does not show: ask them to update this app.</source>
        <translation>A equipe de suporte pede dados que este formulário não mostra: peça a ela que atualize este aplicativo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="66"/>
        <source>The server did not accept these details: check that no field is longer than {length} characters, then try again.</source>
        <translation>O servidor não aceitou estes dados: verifique se nenhum campo passa de {length} caracteres e tente de novo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="69"/>
        <source>The server did not accept these details: check them and try again.</source>
        <translation>O servidor não aceitou estes dados: confira-os e tente de novo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="79"/>
        <source>The session&apos;s record could not be saved on this computer (disk full or no permission): not connecting.</source>
        <translation>O registro da sessão não pôde ser salvo neste computador (disco cheio ou sem permissão): a conexão não foi feita.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="84"/>
        <source>The helpdesk server sent unusable secrets for this session: connect again; if it repeats, tell the server&apos;s administrator.</source>
        <translation>O servidor do helpdesk enviou segredos inutilizáveis para esta sessão: conecte novamente; se isso se repetir, avise o administrador do servidor.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="102"/>
        <source>The session&apos;s relay refused the connection: try again in a moment.</source>
        <translation>O relay da sessão recusou a conexão: tente de novo em instantes.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="92"/>
        <source>The partner&apos;s app did not join the session in time: try again.</source>
        <translation>O aplicativo do parceiro não entrou na sessão a tempo: tente de novo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="98"/>
        <source>The session was ended before the partner joined it: the partner may be in another session, or their app could not take it.</source>
        <translation>A sessão foi encerrada antes que o parceiro entrasse nela: o parceiro pode estar em outro atendimento, ou o aplicativo dele não conseguiu aceitá-la.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="104"/>
        <source>The session relay&apos;s certificate is not trusted: not connecting.</source>
        <translation>O certificado do relay da sessão não é confiável: a conexão não foi feita.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="106"/>
        <source>The session&apos;s relay is not encrypted, which this app does not allow.</source>
        <translation>O relay da sessão não é criptografado, e este aplicativo não permite isso.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="108"/>
        <source>The session&apos;s relay cannot be reached now: try again in a moment.</source>
        <translation>Não foi possível conectar ao relay da sessão no momento: tente de novo em instantes.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="320"/>
        <source>You can try the password again.</source>
        <translation>Você já pode tentar a senha de novo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="350"/>
        <source>{partner} since {time}</source>
        <translation>{partner} desde {time}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="364"/>
        <source>Connected to {partner}.</source>
        <translation>Conectado a {partner}.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_records.py" line="90"/>
        <source>Remote access. Agent: {agent}. Customer: {customer} (ID {partner}). Start: {start}. End: {end}. {reason}</source>
        <translation>Acesso remoto. Agente: {agent}. Cliente: {customer} (ID {partner}). Início: {start}. Fim: {end}. {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_records.py" line="93"/>
        <source>The agent app stopped.</source>
        <translation>O aplicativo do agente foi encerrado.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_records.py" line="88"/>
        <location filename="../../remoteapp/ui/viewer.py" line="102"/>
        <source>Remote access - {customer}</source>
        <extracomment>records waiting for the server are tried again this often an open record waits this long at most for the claim
----------
the verification code (shown in the toolbar) the agent closed the window (in progress or ended)</extracomment>
        <translation>Acesso remoto - {customer}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_records.py" line="102"/>
        <source>{count} session record(s) waiting for the server.</source>
        <translation>{count} registro(s) de atendimento aguardando o servidor.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="109"/>
        <source>Session</source>
        <translation>Sessão</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_texts.py" line="24"/>
        <source>This computer uses a Wayland session, which remote support cannot show to the agent. Log out and choose an X11 (Xorg) session on the login screen, then open this app again.</source>
        <translation>Este computador usa uma sessão Wayland, que o acesso remoto não consegue mostrar ao atendente. Saia da sessão, escolha uma sessão X11 (Xorg) na tela de login e abra este aplicativo de novo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_texts.py" line="29"/>
        <source>This computer has no graphical desktop that remote support can show.</source>
        <translation>Este computador não tem uma área de trabalho gráfica que o acesso remoto possa mostrar.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_texts.py" line="37"/>
        <source>Phone</source>
        <translation>Telefone</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="84"/>
        <location filename="../../remoteapp/ui/viewer.py" line="111"/>
        <source>End session</source>
        <extracomment>code, the server&apos;s English the details to register again with</extracomment>
        <translation>Encerrar sessão</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/company_code.py" line="29"/>
        <location filename="../../remoteapp/ui/deployed.py" line="102"/>
        <source>Remote support</source>
        <translation>Suporte remoto</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/company_code.py" line="32"/>
        <source>Type your company&apos;s code (it ends the download link):</source>
        <translation>Digite o código da sua empresa (ele encerra o link de download):</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/company_code.py" line="43"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="156"/>
        <source>Continue</source>
        <translation>Continuar</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/company_code.py" line="50"/>
        <source>That is not a company code.</source>
        <translation>Isto não é um código de empresa.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/company_code.py" line="53"/>
        <source>Checking...</source>
        <translation>Verificando...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/identity_texts.py" line="19"/>
        <source>No company has this code.</source>
        <translation>Nenhuma empresa tem este código.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/identity_texts.py" line="21"/>
        <source>The support server cannot be reached. Check this computer&apos;s internet connection.</source>
        <translation>Não foi possível conectar ao servidor de suporte. Verifique a conexão deste computador com a internet.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/identity_texts.py" line="23"/>
        <source>The support server cannot answer right now.</source>
        <translation>O servidor de suporte não pode responder agora.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/identity_texts.py" line="25"/>
        <source>The support server&apos;s certificate is not trusted. Check this computer&apos;s date and time, or ask your network&apos;s administrator.</source>
        <translation>O certificado do servidor de suporte não é confiável. Verifique a data e a hora deste computador ou fale com o administrador da sua rede.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/identity_texts.py" line="29"/>
        <source>The support server&apos;s address is not secure (http://); this app will not use it. Ask the company for a new download link.</source>
        <translation>O endereço do servidor de suporte não é seguro (http://); este aplicativo não o usará. Peça à empresa um novo link de download.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/identity_texts.py" line="33"/>
        <source>This app&apos;s company settings could not be verified. Download the app again from the company&apos;s link.</source>
        <translation>As configurações da empresa para este aplicativo não puderam ser verificadas. Baixe o aplicativo de novo pelo link da empresa.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="164"/>
        <source>Tell these to the support agent:</source>
        <translation>Informe ao atendente:</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="181"/>
        <source>Please fill in: {fields}</source>
        <translation>Preencha: {fields}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="186"/>
        <source>The email address does not look right.</source>
        <translation>O endereço de e-mail não parece correto.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="193"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="274"/>
        <source>Connecting to the server...</source>
        <translation>Conectando ao servidor...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="240"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="254"/>
        <source>Waiting for the agent to connect.</source>
        <translation>Aguardando a conexão do atendente.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="303"/>
        <source>An agent typed a password that does not match: the attempt failed and nothing was shared. A new password is coming: wait for it before you read a password to your agent.</source>
        <translation>Um agente digitou uma senha que não confere: a tentativa falhou e nada foi compartilhado. Uma nova senha está chegando: espere por ela antes de ler uma senha para o seu agente.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="322"/>
        <source>An agent typed a password that does not match: the attempt failed and nothing was shared. Your password has changed: read the new one to your agent.</source>
        <translation>Um agente digitou uma senha que não confere: a tentativa falhou e nada foi compartilhado. Sua senha mudou: leia a nova para o seu agente.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="330"/>
        <source>An agent typed a password that does not match: the attempt failed and nothing was shared. Read your password to your agent again, the last characters too.</source>
        <translation>Um agente digitou uma senha que não confere: a tentativa falhou e nada foi compartilhado. Leia sua senha para o seu agente de novo, inclusive os últimos caracteres.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_texts.py" line="44"/>
        <source>The server cannot be reached. Retrying in {seconds} s.</source>
        <translation>Não foi possível conectar ao servidor. Nova tentativa em {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_texts.py" line="54"/>
        <source>The server&apos;s security certificate is not trusted, so this app will not connect to it. Ask your support team to check the server&apos;s certificate.</source>
        <translation>O certificado de segurança do servidor não é confiável, por isso este aplicativo não se conecta a ele. Peça à sua equipe de suporte que verifique o certificado do servidor.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_texts.py" line="59"/>
        <source>The server&apos;s address is not encrypted (http://), so this app will not connect to it. Ask your support team for an https:// address.</source>
        <translation>O endereço do servidor não é criptografado (http://), por isso este aplicativo não se conecta a ele. Peça à sua equipe de suporte um endereço https://.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_texts.py" line="62"/>
        <source>Trying again in {seconds} s.</source>
        <translation>Nova tentativa em {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="291"/>
        <source>Verification code: {code}. The agent sees the same code: compare them on the phone.</source>
        <translation>Código de verificação: {code}. O agente vê o mesmo código: comparem pelo telefone.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="339"/>
        <source>{agent} is viewing and controlling this computer.</source>
        <translation>{agent} está vendo e controlando este computador.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="343"/>
        <source>Connected to {agent}.</source>
        <translation>Conectado a {agent}.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="357"/>
        <location filename="../../remoteapp/ui/end_reasons.py" line="116"/>
        <source>Session ended.</source>
        <translation>Sessão encerrada.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="112"/>
        <source>Send Ctrl+Alt+Del</source>
        <translation>Enviar Ctrl+Alt+Del</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="113"/>
        <source>Fit to window</source>
        <translation>Ajustar à janela</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="118"/>
        <source>Which of the customer&apos;s monitors to show</source>
        <translation>Qual monitor do cliente mostrar</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="154"/>
        <location filename="../../remoteapp/ui/agent_window.py" line="289"/>
        <location filename="../../remoteapp/ui/viewer.py" line="145"/>
        <source>Connecting...</source>
        <translation>Conectando...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="50"/>
        <source>Compare this code with the customer on the phone: the same code on both screens means nobody is in between.</source>
        <translation>Compare este código com o cliente pelo telefone: o mesmo código nas duas telas significa que ninguém está no meio.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="57"/>
        <source>The password does not match: the session did not start. Ask the customer to read out the password the app shows now (it has changed) and connect again.</source>
        <translation>A senha não confere: a sessão não começou. Peça ao cliente que leia a senha que o aplicativo mostra agora (ela mudou) e conecte de novo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="125"/>
        <source>Automatic</source>
        <translation>Automática</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="126"/>
        <source>Best quality</source>
        <translation>Melhor qualidade</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="127"/>
        <source>Best speed</source>
        <translation>Melhor velocidade</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="132"/>
        <source>Picture: Automatic sends videos and photos in less detail and makes them exact once they stop changing; Best quality is always exact; Best speed uses less detail everywhere (for slow connections).</source>
        <translation>Imagem: Automática envia vídeos e fotos com menos detalhe e os deixa exatos assim que param de mudar; Melhor qualidade é sempre exata; Melhor velocidade usa menos detalhe em tudo (para conexões lentas).</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="193"/>
        <source>Verification code: {code}</source>
        <translation>Código de verificação: {code}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="213"/>
        <source>{latency} ms · {fps} fps · {h:02d}:{m:02d}:{s:02d}</source>
        <translation>{latency} ms · {fps} qps · {h:02d}:{m:02d}:{s:02d}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="231"/>
        <source>All monitors</source>
        <translation>Todos os monitores</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="233"/>
        <source>Monitor {n} ({w}x{h})</source>
        <translation>Monitor {n} ({w}x{h})</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="289"/>
        <source>Session ended - {customer}</source>
        <translation>Sessão encerrada - {customer}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="33"/>
        <source>This computer&apos;s encryption library failed: connect again.</source>
        <translation>A biblioteca de criptografia deste computador falhou: conecte novamente.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="38"/>
        <source>The session&apos;s encrypted data was altered or lost on the way (a faulty network or someone in between): connect again.</source>
        <translation>Os dados criptografados da sessão foram alterados ou perdidos no caminho (uma rede com defeito ou alguém no meio): conecte novamente.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="42"/>
        <source>The other side&apos;s app sent data this app does not understand.</source>
        <translation>O aplicativo do outro lado enviou dados que este aplicativo não entende.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="43"/>
        <source>The customer&apos;s screen cannot be shared.</source>
        <translation>A tela do cliente não pode ser compartilhada.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="53"/>
        <source>A participant ended the session.</source>
        <translation>Um dos participantes encerrou a sessão.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="54"/>
        <source>The relay closed the session.</source>
        <translation>O relay encerrou a sessão.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="55"/>
        <source>The session ended; the relay did not report how.</source>
        <translation>A sessão terminou; o relay não informou como.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="56"/>
        <source>The session did not start: a side did not join in time.</source>
        <translation>A sessão não começou: um dos lados não entrou a tempo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="57"/>
        <source>The relay serving the session stopped answering.</source>
        <translation>O relay do atendimento parou de responder.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="59"/>
        <source>The customer was still in another session, which went on: connect again later.</source>
        <translation>O cliente ainda estava em outro atendimento, que continuou: conecte de novo mais tarde.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="61"/>
        <source>The relay serving the session shut down.</source>
        <translation>O relay do atendimento foi desligado.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="62"/>
        <source>The session ended after a long time without activity.</source>
        <translation>A sessão foi encerrada após muito tempo sem atividade.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="63"/>
        <source>The agent left the session.</source>
        <translation>O agente saiu da sessão.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="64"/>
        <source>The customer left the session.</source>
        <translation>O cliente saiu da sessão.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="65"/>
        <source>The agent&apos;s connection was lost.</source>
        <translation>A conexão do agente foi perdida.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="66"/>
        <source>The customer&apos;s connection was lost.</source>
        <translation>A conexão do cliente foi perdida.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="67"/>
        <source>The helpdesk ended the session.</source>
        <translation>O helpdesk encerrou a sessão.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="68"/>
        <source>The agent ended the session.</source>
        <translation>O agente encerrou a sessão.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="69"/>
        <source>The customer ended the session.</source>
        <translation>O cliente encerrou a sessão.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="70"/>
        <source>The customer closed the app.</source>
        <translation>O cliente fechou o aplicativo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="71"/>
        <source>The agent closed the app.</source>
        <translation>O agente fechou o aplicativo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="72"/>
        <source>The agent closed the session&apos;s window.</source>
        <translation>O agente fechou a janela da sessão.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="73"/>
        <source>The other side ended the session.</source>
        <translation>O outro lado encerrou a sessão.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="74"/>
        <source>The session ended on an internal error.</source>
        <translation>A sessão foi encerrada por um erro interno.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="75"/>
        <location filename="../../remoteapp/ui/end_reasons.py" line="121"/>
        <source>The connection was lost.</source>
        <translation>A conexão foi perdida.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="78"/>
        <source>The password does not match: check its last characters with the customer.</source>
        <translation>A senha não confere: confira os últimos caracteres com o cliente.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="81"/>
        <source>The password the agent typed does not match: read it to the agent again, the last characters too.</source>
        <translation>A senha que o agente digitou não confere: leia-a de novo para o agente, inclusive os últimos caracteres.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="85"/>
        <source>The two apps were given different session keys (a broken or lying server?): connect again.</source>
        <translation>Os dois aplicativos receberam chaves de sessão diferentes (um servidor com defeito ou mentindo?): conecte de novo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="89"/>
        <source>The other side sent unencrypted session data (an app from before end-to-end encryption?): update the app on both computers.</source>
        <translation>O outro lado enviou dados da sessão sem criptografia (um aplicativo de antes da criptografia de ponta a ponta?): atualize o aplicativo nos dois computadores.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="93"/>
        <source>The two sides disagree on how this session is secured: connect again.</source>
        <translation>Os dois lados discordam sobre como esta sessão é protegida: conecte de novo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="96"/>
        <source>The connection closed during the secure handshake.</source>
        <translation>A conexão foi fechada durante o handshake seguro.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="99"/>
        <source>The session was closed during the secure handshake.</source>
        <translation>A sessão foi encerrada durante o handshake seguro.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="102"/>
        <source>The other side took no handshake data in time.</source>
        <translation>O outro lado não recebeu os dados do handshake a tempo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="105"/>
        <source>The customer&apos;s handshake message was altered on the way: connect again.</source>
        <translation>A mensagem de handshake do cliente foi alterada no caminho: conecte de novo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="108"/>
        <source>The customer&apos;s app refused the session: its secrets were unusable.</source>
        <translation>O aplicativo do cliente recusou a sessão: os segredos dela eram inutilizáveis.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="123"/>
        <source>The other side did not complete the secure handshake in time.</source>
        <translation>O outro lado não concluiu o handshake seguro a tempo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="125"/>
        <source>The secure handshake with the other side failed: connect again.</source>
        <translation>O handshake seguro com o outro lado falhou: conecte de novo.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="130"/>
        <source>The other side stopped reading what this side sent.</source>
        <translation>O outro lado parou de ler o que este lado enviou.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="133"/>
        <source>Nothing came from the other side for {seconds} s.</source>
        <translation>Nada chegou do outro lado por {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="135"/>
        <source>The other side took nothing for {seconds} s.</source>
        <translation>O outro lado não recebeu nada por {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="136"/>
        <source>Session ended: {reason}</source>
        <translation>Sessão encerrada: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="71"/>
        <location filename="../../remoteapp/ui/widgets.py" line="77"/>
        <source>Agent login</source>
        <extracomment>a long message or subject wraps instead of widening</extracomment>
        <translation>Login do agente</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="175"/>
        <source>The certificate of {server} is not trusted: not logging in.</source>
        <translation>O certificado de {server} não é confiável: o login não foi feito.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="181"/>
        <source>{server} is not encrypted (http://): use its https:// address.</source>
        <translation>{server} não é criptografado (http://): use o endereço https://.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/widgets.py" line="34"/>
        <source>Insecure connections allowed: this app may talk to its server without encryption.</source>
        <translation>Conexões inseguras permitidas: este aplicativo pode falar com o servidor sem criptografia.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="87"/>
        <source>Remember me</source>
        <extracomment>&quot;remember me&quot; was ticked but the keyring refused the keyring has answered (saved login or why not)</extracomment>
        <translation>Lembrar de mim</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="88"/>
        <source>Server</source>
        <translation>Servidor</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="89"/>
        <location filename="../../remoteapp/ui/customer_texts.py" line="36"/>
        <source>Email</source>
        <translation>E-mail</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="90"/>
        <location filename="../../remoteapp/ui/agent_window.py" line="100"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="166"/>
        <source>Password</source>
        <translation>Senha</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="102"/>
        <source>Log in</source>
        <translation>Entrar</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="122"/>
        <source>Login will not be remembered: no keyring on this system.</source>
        <translation>O login não será lembrado: este sistema não tem um chaveiro (keyring).</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="144"/>
        <source>Fill in server, email and password.</source>
        <translation>Preencha servidor, e-mail e senha.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="147"/>
        <source>Logging in...</source>
        <translation>Entrando...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="166"/>
        <source>Wrong email or password.</source>
        <translation>E-mail ou senha incorretos.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="169"/>
        <source>Too many failed logins. Try again in {seconds} s.</source>
        <translation>Tentativas de login erradas demais. Tente novamente em {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="188"/>
        <source>The server {server} cannot be reached. Check the address or try again later.</source>
        <translation>Não foi possível contatar o servidor {server}. Verifique o endereço ou tente mais tarde.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="193"/>
        <source>Cannot log in: {reason}</source>
        <translation>Não foi possível entrar: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="218"/>
        <source>Ticket for the session with {partner}</source>
        <extracomment>None: a new ticket will be opened</extracomment>
        <translation>Ticket do atendimento com {partner}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="226"/>
        <source>Ticket number</source>
        <translation>Número do ticket</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="227"/>
        <source>Look up</source>
        <translation>Buscar</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="233"/>
        <source>Ticket</source>
        <translation>Ticket</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="237"/>
        <source>Subject</source>
        <translation>Assunto</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="238"/>
        <source>Client</source>
        <translation>Cliente</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="239"/>
        <source>Responsible</source>
        <translation>Responsável</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="248"/>
        <source>Start session</source>
        <translation>Iniciar sessão</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="251"/>
        <source>No ticket</source>
        <translation>Sem ticket</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="253"/>
        <location filename="../../remoteapp/ui/updates.py" line="247"/>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="279"/>
        <source>Type the ticket number.</source>
        <translation>Digite o número do ticket.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="283"/>
        <source>A ticket number is from 1 to {largest}: check the number.</source>
        <translation>Um número de chamado vai de 1 a {largest}: confira o número.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="289"/>
        <source>Looking up...</source>
        <translation>Buscando...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="315"/>
        <source>There is no ticket {number}.</source>
        <translation>Não existe o ticket {number}.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="317"/>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="88"/>
        <source>The helpdesk server&apos;s certificate is not trusted: not connecting.</source>
        <translation>O certificado do servidor do helpdesk não é confiável: a conexão não foi feita.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="319"/>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="90"/>
        <source>The helpdesk server cannot be reached now: try again in a moment.</source>
        <translation>Não foi possível conectar ao servidor do helpdesk no momento: tente de novo em instantes.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="321"/>
        <source>Cannot look the ticket up: {reason}</source>
        <translation>Não foi possível buscar o ticket: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="339"/>
        <source>New ticket</source>
        <translation>Novo ticket</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="341"/>
        <source>Every remote access is recorded on a ticket. A new ticket will be opened for this connection. Continue?</source>
        <translation>Todo acesso remoto é registrado em um ticket. Um novo ticket será aberto para registrar esta conexão. Continuar?</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/widgets.py" line="104"/>
        <source>Copy</source>
        <translation>Copiar</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/credentials.py" line="25"/>
        <source>the keyring package is not installed</source>
        <translation>o pacote keyring não está instalado</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/credentials.py" line="28"/>
        <source>this system has no keyring (secret service) to keep the password in</source>
        <translation>este sistema não tem um chaveiro (secret service) para guardar a senha</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/app.py" line="91"/>
        <source>Logged in, but the login could not be kept in the keyring.</source>
        <translation>Login feito, mas não foi possível guardá-lo no chaveiro do sistema.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/operations.py" line="212"/>
        <source>Something went wrong: {reason}</source>
        <extracomment>a window&apos;s few polls, each at most one in flight at a time how long the program&apos;s end waits for operations still running each operation&apos;s finish; GUI thread</extracomment>
        <translation>Algo deu errado: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/updates.py" line="141"/>
        <source>Update to version {version}</source>
        <translation>Atualizar para a versão {version}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/updates.py" line="230"/>
        <source>The update will be installed when the session ends.</source>
        <translation>A atualização será instalada quando a sessão terminar.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/updates.py" line="246"/>
        <source>Downloading version {version}...</source>
        <translation>Baixando a versão {version}...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/links.py" line="209"/>
        <source>End your sessions before opening a link for another server.</source>
        <translation>Encerre suas sessões antes de abrir um link de outro servidor.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/deployed.py" line="104"/>
        <source>Loading...</source>
        <translation>Carregando...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/deployed.py" line="109"/>
        <source>Try again now</source>
        <translation>Tentar de novo agora</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/deployed.py" line="148"/>
        <source>The app tries again every {seconds} s.</source>
        <translation>O aplicativo tenta de novo a cada {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/deployed.py" line="155"/>
        <source>This app cannot start. {reason}</source>
        <translation>Este aplicativo não pode iniciar. {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/deployed.py" line="167"/>
        <source>Trying again...</source>
        <translation>Tentando de novo...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="19"/>
        <source>The offered version is no longer published.</source>
        <translation>A versão oferecida não está mais publicada.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="21"/>
        <source>The downloaded version did not pass the signature check; nothing was changed.</source>
        <translation>A versão baixada não passou na verificação de assinatura; nada foi alterado.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="24"/>
        <source>The update server could not be reached or refused the download; try again later with the update icon.</source>
        <translation>Não foi possível conectar ao servidor de atualização, ou ele recusou o download; tente de novo mais tarde pelo ícone de atualização.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="28"/>
        <source>The download was too slow and was stopped; try again later with the update icon.</source>
        <translation>O download estava lento demais e foi interrompido; tente de novo mais tarde pelo ícone de atualização.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="31"/>
        <source>The new version could not be saved on this computer (disk full or no permission); try again with the update icon once there is room.</source>
        <translation>Não foi possível salvar a nova versão neste computador (disco cheio ou sem permissão); tente de novo pelo ícone de atualização quando houver espaço.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="35"/>
        <source>The published version is not a program this system can run; nothing was changed.</source>
        <translation>A versão publicada não é um programa que este sistema possa executar; nada foi alterado.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="38"/>
        <source>The new version could not be put in place (no permission to change the app&apos;s file?); this version keeps running.</source>
        <translation>Não foi possível instalar a nova versão (sem permissão para alterar o arquivo do aplicativo?); esta versão continua em uso.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="42"/>
        <source>The new version was installed but did not start; it is the one that opens next time.</source>
        <translation>A nova versão foi instalada, mas não iniciou; é ela que abrirá na próxima vez.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/identity_texts.py" line="43"/>
        <location filename="../../remoteapp/ui/update_texts.py" line="51"/>
        <source>An unexpected error occurred (see the log).</source>
        <translation>Ocorreu um erro inesperado (veja o registro).</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="52"/>
        <source>The update failed. {reason}</source>
        <translation>A atualização falhou. {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_polls.py" line="31"/>
        <source>The server cannot be reached; trying again.</source>
        <translation>Não foi possível contatar o servidor; tentando novamente.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_polls.py" line="36"/>
        <source>Your login has ended (a logout elsewhere, or a password change): log out and log in again. Sessions in progress go on.</source>
        <translation>Seu login terminou (uma saída em outro lugar ou uma troca de senha): saia e entre de novo. Os atendimentos em andamento continuam.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_session_end.py" line="29"/>
        <source>The session with {partner} has ended. {reason}</source>
        <translation>A sessão com {partner} terminou. {reason}</translation>
    </message>
</context>
</TS>
