<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="pt_BR">
<context>
    <name />
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="225" />
        <source>Remote access - {customer}</source>
        <translation>Acesso remoto - {customer}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="232" />
        <source>Session</source>
        <translation>Sessão</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="234" />
        <source>End session</source>
        <translation>Encerrar sessão</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="235" />
        <source>Send Ctrl+Alt+Del</source>
        <translation>Enviar Ctrl+Alt+Del</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="236" />
        <source>Fit to window</source>
        <translation>Ajustar à janela</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="239" />
        <source>Connecting...</source>
        <translation>Conectando...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="282" />
        <source>{latency} ms · {fps} fps · {h:02d}:{m:02d}:{s:02d}</source>
        <translation>{latency} ms · {fps} qps · {h:02d}:{m:02d}:{s:02d}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="319" />
        <source>Session ended: {reason}</source>
        <translation>Sessão encerrada: {reason}</translation>
    </message>
</context>
</TS>