<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name></name>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="93"/>
        <source>{title} - agent {name}</source>
        <extracomment>the sessions in progress</extracomment>
        <translation>{title} - agent {name}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="96"/>
        <source>Log out</source>
        <translation>Log out</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="99"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="165"/>
        <source>Your ID</source>
        <translation>Your ID</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="115"/>
        <source>Remote access</source>
        <translation>Remote access</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="116"/>
        <source>Queue</source>
        <translation>Queue</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="117"/>
        <source>Sessions in progress</source>
        <translation>Sessions in progress</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_records.py" line="108"/>
        <source>The ticket system refused {count} session record(s) for good: they are kept on this computer; ask your administrator (the reason is in the log).</source>
        <translation>The ticket system refused {count} session record(s) for good: they are kept on this computer; ask your administrator (the reason is in the log).</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_records.py" line="100"/>
        <source>{count} session record(s) will be sent when you log in again.</source>
        <translation>{count} session record(s) will be sent when you log in again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="60"/>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="85"/>
        <source>Connect</source>
        <extracomment>the queue&apos;s ID and password: the server sends them to admins only</extracomment>
        <translation>Connect</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="61"/>
        <source>Partner ID</source>
        <translation>Partner ID</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="73"/>
        <location filename="../../remoteapp/ui/customer_texts.py" line="35"/>
        <source>Name</source>
        <extracomment>each row&apos;s ``queue_ref``, as last shown</extracomment>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="74"/>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="137"/>
        <location filename="../../remoteapp/ui/customer_texts.py" line="38"/>
        <source>Organization</source>
        <translation>Organization</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="75"/>
        <source>Classification</source>
        <translation>Classification</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="76"/>
        <source>Waiting time</source>
        <translation>Waiting time</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="77"/>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="78"/>
        <source>Password (server part)</source>
        <translation>Password (server part)</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="137"/>
        <source>Agent</source>
        <extracomment>every session of the app</extracomment>
        <translation>Agent</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="137"/>
        <source>Customer</source>
        <translation>Customer</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="137"/>
        <source>Duration</source>
        <translation>Duration</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="143"/>
        <source>All sessions of this app</source>
        <extracomment>this window&apos;s own sessions</extracomment>
        <translation>All sessions of this app</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="145"/>
        <source>Your sessions in this window</source>
        <translation>Your sessions in this window</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="151"/>
        <source>{agent} (you)</source>
        <translation>{agent} (you)</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="194"/>
        <source>A partner ID has 9 digits.</source>
        <translation>A partner ID has 9 digits.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="216"/>
        <source>Choose a customer in the queue.</source>
        <translation>Choose a customer in the queue.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="228"/>
        <location filename="../../remoteapp/ui/agent_window.py" line="278"/>
        <source>A connection is under way.</source>
        <translation>A connection is under way.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="259"/>
        <source>The password has {count} letters and digits.</source>
        <translation>The password has {count} letters and digits.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="365"/>
        <source>Partner password</source>
        <translation>Partner password</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="366"/>
        <source>Password of {partner}:</source>
        <translation>Password of {partner}:</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="317"/>
        <source>Too many wrong passwords. Try again in {seconds} s.</source>
        <translation>Too many wrong passwords. Try again in {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="323"/>
        <source>Wrong partner ID or password.</source>
        <translation>Wrong partner ID or password.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="324"/>
        <source>Wrong password, try again.</source>
        <translation>Wrong password, try again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="33"/>
        <source>This connect code has expired: copy the customer again from the monitoring page.</source>
        <translation>This connect code has expired: copy the customer again from the monitoring page.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="37"/>
        <source>This connect code was issued to another agent or is damaged: copy the customer again from the monitoring page.</source>
        <translation>This connect code was issued to another agent or is damaged: copy the customer again from the monitoring page.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="41"/>
        <source>The partner is not online: ask them to open the app.</source>
        <translation>The partner is not online: ask them to open the app.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="43"/>
        <source>The partner is already in a session.</source>
        <translation>The partner is already in a session.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="45"/>
        <source>Only agents can connect.</source>
        <translation>Only agents can connect.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="48"/>
        <source>You are not an agent of this app: ask an administrator to add you to its agents.</source>
        <translation>You are not an agent of this app: ask an administrator to add you to its agents.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="51"/>
        <source>Not allowed: {reason}</source>
        <translation>Not allowed: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="53"/>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="110"/>
        <source>Cannot connect: {reason}</source>
        <translation>Cannot connect: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="61"/>
        <source>The support team asks for details this form does not show: ask them to update this app.</source>
        <translation>The support team asks for details this form does not show: ask them to update this app.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="66"/>
        <source>The server did not accept these details: check that no field is longer than {length} characters, then try again.</source>
        <translation>The server did not accept these details: check that no field is longer than {length} characters, then try again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="69"/>
        <source>The server did not accept these details: check them and try again.</source>
        <translation>The server did not accept these details: check them and try again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="79"/>
        <source>The session&apos;s record could not be saved on this computer (disk full or no permission): not connecting.</source>
        <translation>The session&apos;s record could not be saved on this computer (disk full or no permission): not connecting.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="84"/>
        <source>The helpdesk server sent unusable secrets for this session: connect again; if it repeats, tell the server&apos;s administrator.</source>
        <translation>The helpdesk server sent unusable secrets for this session: connect again; if it repeats, tell the server&apos;s administrator.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="102"/>
        <source>The session&apos;s relay refused the connection: try again in a moment.</source>
        <translation>The session&apos;s relay refused the connection: try again in a moment.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="92"/>
        <source>The partner&apos;s app did not join the session in time: try again.</source>
        <translation>The partner&apos;s app did not join the session in time: try again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="98"/>
        <source>The session was ended before the partner joined it: the partner may be in another session, or their app could not take it.</source>
        <translation>The session was ended before the partner joined it: the partner may be in another session, or their app could not take it.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="104"/>
        <source>The session relay&apos;s certificate is not trusted: not connecting.</source>
        <translation>The session relay&apos;s certificate is not trusted: not connecting.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="106"/>
        <source>The session&apos;s relay is not encrypted, which this app does not allow.</source>
        <translation>The session&apos;s relay is not encrypted, which this app does not allow.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="108"/>
        <source>The session&apos;s relay cannot be reached now: try again in a moment.</source>
        <translation>The session&apos;s relay cannot be reached now: try again in a moment.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="320"/>
        <source>You can try the password again.</source>
        <translation>You can try the password again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="350"/>
        <source>{partner} since {time}</source>
        <translation>{partner} since {time}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="364"/>
        <source>Connected to {partner}.</source>
        <translation>Connected to {partner}.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_records.py" line="90"/>
        <source>Remote access. Agent: {agent}. Customer: {customer} (ID {partner}). Start: {start}. End: {end}. {reason}</source>
        <translation>Remote access. Agent: {agent}. Customer: {customer} (ID {partner}). Start: {start}. End: {end}. {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_records.py" line="93"/>
        <source>The agent app stopped.</source>
        <translation>The agent app stopped.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_records.py" line="88"/>
        <location filename="../../remoteapp/ui/viewer.py" line="102"/>
        <source>Remote access - {customer}</source>
        <extracomment>records waiting for the server are tried again this often an open record waits this long at most for the claim
----------
the verification code (shown in the toolbar) the agent closed the window (in progress or ended)</extracomment>
        <translation>Remote access - {customer}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_records.py" line="102"/>
        <source>{count} session record(s) waiting for the server.</source>
        <translation>{count} session record(s) waiting for the server.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="109"/>
        <source>Session</source>
        <translation>Session</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_texts.py" line="24"/>
        <source>This computer uses a Wayland session, which remote support cannot show to the agent. Log out and choose an X11 (Xorg) session on the login screen, then open this app again.</source>
        <translation>This computer uses a Wayland session, which remote support cannot show to the agent. Log out and choose an X11 (Xorg) session on the login screen, then open this app again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_texts.py" line="29"/>
        <source>This computer has no graphical desktop that remote support can show.</source>
        <translation>This computer has no graphical desktop that remote support can show.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_texts.py" line="37"/>
        <source>Phone</source>
        <translation>Phone</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="84"/>
        <location filename="../../remoteapp/ui/viewer.py" line="111"/>
        <source>End session</source>
        <extracomment>code, the server&apos;s English the details to register again with</extracomment>
        <translation>End session</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/company_code.py" line="29"/>
        <location filename="../../remoteapp/ui/deployed.py" line="102"/>
        <source>Remote support</source>
        <translation>Remote support</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/company_code.py" line="32"/>
        <source>Type your company&apos;s code (it ends the download link):</source>
        <translation>Type your company&apos;s code (it ends the download link):</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/company_code.py" line="43"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="156"/>
        <source>Continue</source>
        <translation>Continue</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/company_code.py" line="50"/>
        <source>That is not a company code.</source>
        <translation>That is not a company code.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/company_code.py" line="53"/>
        <source>Checking...</source>
        <translation>Checking...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/identity_texts.py" line="19"/>
        <source>No company has this code.</source>
        <translation>No company has this code.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/identity_texts.py" line="21"/>
        <source>The support server cannot be reached. Check this computer&apos;s internet connection.</source>
        <translation>The support server cannot be reached. Check this computer&apos;s internet connection.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/identity_texts.py" line="23"/>
        <source>The support server cannot answer right now.</source>
        <translation>The support server cannot answer right now.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/identity_texts.py" line="25"/>
        <source>The support server&apos;s certificate is not trusted. Check this computer&apos;s date and time, or ask your network&apos;s administrator.</source>
        <translation>The support server&apos;s certificate is not trusted. Check this computer&apos;s date and time, or ask your network&apos;s administrator.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/identity_texts.py" line="29"/>
        <source>The support server&apos;s address is not secure (http://); this app will not use it. Ask the company for a new download link.</source>
        <translation>The support server&apos;s address is not secure (http://); this app will not use it. Ask the company for a new download link.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/identity_texts.py" line="33"/>
        <source>This app&apos;s company settings could not be verified. Download the app again from the company&apos;s link.</source>
        <translation>This app&apos;s company settings could not be verified. Download the app again from the company&apos;s link.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="164"/>
        <source>Tell these to the support agent:</source>
        <translation>Tell these to the support agent:</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="181"/>
        <source>Please fill in: {fields}</source>
        <translation>Please fill in: {fields}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="186"/>
        <source>The email address does not look right.</source>
        <translation>The email address does not look right.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="193"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="274"/>
        <source>Connecting to the server...</source>
        <translation>Connecting to the server...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="240"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="254"/>
        <source>Waiting for the agent to connect.</source>
        <translation>Waiting for the agent to connect.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="303"/>
        <source>An agent typed a password that does not match: the attempt failed and nothing was shared. A new password is coming: wait for it before you read a password to your agent.</source>
        <translation>An agent typed a password that does not match: the attempt failed and nothing was shared. A new password is coming: wait for it before you read a password to your agent.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="322"/>
        <source>An agent typed a password that does not match: the attempt failed and nothing was shared. Your password has changed: read the new one to your agent.</source>
        <translation>An agent typed a password that does not match: the attempt failed and nothing was shared. Your password has changed: read the new one to your agent.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="330"/>
        <source>An agent typed a password that does not match: the attempt failed and nothing was shared. Read your password to your agent again, the last characters too.</source>
        <translation>An agent typed a password that does not match: the attempt failed and nothing was shared. Read your password to your agent again, the last characters too.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_texts.py" line="44"/>
        <source>The server cannot be reached. Retrying in {seconds} s.</source>
        <translation>The server cannot be reached. Retrying in {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_texts.py" line="54"/>
        <source>The server&apos;s security certificate is not trusted, so this app will not connect to it. Ask your support team to check the server&apos;s certificate.</source>
        <translation>The server&apos;s security certificate is not trusted, so this app will not connect to it. Ask your support team to check the server&apos;s certificate.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_texts.py" line="59"/>
        <source>The server&apos;s address is not encrypted (http://), so this app will not connect to it. Ask your support team for an https:// address.</source>
        <translation>The server&apos;s address is not encrypted (http://), so this app will not connect to it. Ask your support team for an https:// address.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_texts.py" line="62"/>
        <source>Trying again in {seconds} s.</source>
        <translation>Trying again in {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="291"/>
        <source>Verification code: {code}. The agent sees the same code: compare them on the phone.</source>
        <translation>Verification code: {code}. The agent sees the same code: compare them on the phone.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="339"/>
        <source>{agent} is viewing and controlling this computer.</source>
        <translation>{agent} is viewing and controlling this computer.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="343"/>
        <source>Connected to {agent}.</source>
        <translation>Connected to {agent}.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="357"/>
        <location filename="../../remoteapp/ui/end_reasons.py" line="116"/>
        <source>Session ended.</source>
        <translation>Session ended.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="112"/>
        <source>Send Ctrl+Alt+Del</source>
        <translation>Send Ctrl+Alt+Del</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="113"/>
        <source>Fit to window</source>
        <translation>Fit to window</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="118"/>
        <source>Which of the customer&apos;s monitors to show</source>
        <translation>Which of the customer&apos;s monitors to show</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_tabs.py" line="154"/>
        <location filename="../../remoteapp/ui/agent_window.py" line="289"/>
        <location filename="../../remoteapp/ui/viewer.py" line="145"/>
        <source>Connecting...</source>
        <translation>Connecting...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="50"/>
        <source>Compare this code with the customer on the phone: the same code on both screens means nobody is in between.</source>
        <translation>Compare this code with the customer on the phone: the same code on both screens means nobody is in between.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="57"/>
        <source>The password does not match: the session did not start. Ask the customer to read out the password the app shows now (it has changed) and connect again.</source>
        <translation>The password does not match: the session did not start. Ask the customer to read out the password the app shows now (it has changed) and connect again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="125"/>
        <source>Automatic</source>
        <translation>Automatic</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="126"/>
        <source>Best quality</source>
        <translation>Best quality</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="127"/>
        <source>Best speed</source>
        <translation>Best speed</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="132"/>
        <source>Picture: Automatic sends videos and photos in less detail and makes them exact once they stop changing; Best quality is always exact; Best speed uses less detail everywhere (for slow connections).</source>
        <translation>Picture: Automatic sends videos and photos in less detail and makes them exact once they stop changing; Best quality is always exact; Best speed uses less detail everywhere (for slow connections).</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="193"/>
        <source>Verification code: {code}</source>
        <translation>Verification code: {code}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="213"/>
        <source>{latency} ms · {fps} fps · {h:02d}:{m:02d}:{s:02d}</source>
        <translation>{latency} ms · {fps} fps · {h:02d}:{m:02d}:{s:02d}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="231"/>
        <source>All monitors</source>
        <translation>All monitors</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="233"/>
        <source>Monitor {n} ({w}x{h})</source>
        <translation>Monitor {n} ({w}x{h})</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="289"/>
        <source>Session ended - {customer}</source>
        <translation>Session ended - {customer}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="33"/>
        <source>This computer&apos;s encryption library failed: connect again.</source>
        <translation>This computer&apos;s encryption library failed: connect again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="38"/>
        <source>The session&apos;s encrypted data was altered or lost on the way (a faulty network or someone in between): connect again.</source>
        <translation>The session&apos;s encrypted data was altered or lost on the way (a faulty network or someone in between): connect again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="42"/>
        <source>The other side&apos;s app sent data this app does not understand.</source>
        <translation>The other side&apos;s app sent data this app does not understand.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="43"/>
        <source>The customer&apos;s screen cannot be shared.</source>
        <translation>The customer&apos;s screen cannot be shared.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="53"/>
        <source>A participant ended the session.</source>
        <translation>A participant ended the session.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="54"/>
        <source>The relay closed the session.</source>
        <translation>The relay closed the session.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="55"/>
        <source>The session ended; the relay did not report how.</source>
        <translation>The session ended; the relay did not report how.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="56"/>
        <source>The session did not start: a side did not join in time.</source>
        <translation>The session did not start: a side did not join in time.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="57"/>
        <source>The relay serving the session stopped answering.</source>
        <translation>The relay serving the session stopped answering.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="59"/>
        <source>The customer was still in another session, which went on: connect again later.</source>
        <translation>The customer was still in another session, which went on: connect again later.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="61"/>
        <source>The relay serving the session shut down.</source>
        <translation>The relay serving the session shut down.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="62"/>
        <source>The session ended after a long time without activity.</source>
        <translation>The session ended after a long time without activity.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="63"/>
        <source>The agent left the session.</source>
        <translation>The agent left the session.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="64"/>
        <source>The customer left the session.</source>
        <translation>The customer left the session.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="65"/>
        <source>The agent&apos;s connection was lost.</source>
        <translation>The agent&apos;s connection was lost.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="66"/>
        <source>The customer&apos;s connection was lost.</source>
        <translation>The customer&apos;s connection was lost.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="67"/>
        <source>The helpdesk ended the session.</source>
        <translation>The helpdesk ended the session.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="68"/>
        <source>The agent ended the session.</source>
        <translation>The agent ended the session.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="69"/>
        <source>The customer ended the session.</source>
        <translation>The customer ended the session.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="70"/>
        <source>The customer closed the app.</source>
        <translation>The customer closed the app.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="71"/>
        <source>The agent closed the app.</source>
        <translation>The agent closed the app.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="72"/>
        <source>The agent closed the session&apos;s window.</source>
        <translation>The agent closed the session&apos;s window.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="73"/>
        <source>The other side ended the session.</source>
        <translation>The other side ended the session.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="74"/>
        <source>The session ended on an internal error.</source>
        <translation>The session ended on an internal error.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="75"/>
        <location filename="../../remoteapp/ui/end_reasons.py" line="121"/>
        <source>The connection was lost.</source>
        <translation>The connection was lost.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="78"/>
        <source>The password does not match: check its last characters with the customer.</source>
        <translation>The password does not match: check its last characters with the customer.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="81"/>
        <source>The password the agent typed does not match: read it to the agent again, the last characters too.</source>
        <translation>The password the agent typed does not match: read it to the agent again, the last characters too.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="85"/>
        <source>The two apps were given different session keys (a broken or lying server?): connect again.</source>
        <translation>The two apps were given different session keys (a broken or lying server?): connect again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="89"/>
        <source>The other side sent unencrypted session data (an app from before end-to-end encryption?): update the app on both computers.</source>
        <translation>The other side sent unencrypted session data (an app from before end-to-end encryption?): update the app on both computers.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="93"/>
        <source>The two sides disagree on how this session is secured: connect again.</source>
        <translation>The two sides disagree on how this session is secured: connect again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="96"/>
        <source>The connection closed during the secure handshake.</source>
        <translation>The connection closed during the secure handshake.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="99"/>
        <source>The session was closed during the secure handshake.</source>
        <translation>The session was closed during the secure handshake.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="102"/>
        <source>The other side took no handshake data in time.</source>
        <translation>The other side took no handshake data in time.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="105"/>
        <source>The customer&apos;s handshake message was altered on the way: connect again.</source>
        <translation>The customer&apos;s handshake message was altered on the way: connect again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="108"/>
        <source>The customer&apos;s app refused the session: its secrets were unusable.</source>
        <translation>The customer&apos;s app refused the session: its secrets were unusable.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="123"/>
        <source>The other side did not complete the secure handshake in time.</source>
        <translation>The other side did not complete the secure handshake in time.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="125"/>
        <source>The secure handshake with the other side failed: connect again.</source>
        <translation>The secure handshake with the other side failed: connect again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="130"/>
        <source>The other side stopped reading what this side sent.</source>
        <translation>The other side stopped reading what this side sent.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="133"/>
        <source>Nothing came from the other side for {seconds} s.</source>
        <translation>Nothing came from the other side for {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="135"/>
        <source>The other side took nothing for {seconds} s.</source>
        <translation>The other side took nothing for {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/end_reasons.py" line="136"/>
        <source>Session ended: {reason}</source>
        <translation>Session ended: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="71"/>
        <location filename="../../remoteapp/ui/widgets.py" line="77"/>
        <source>Agent login</source>
        <extracomment>a long message or subject wraps instead of widening</extracomment>
        <translation>Agent login</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="175"/>
        <source>The certificate of {server} is not trusted: not logging in.</source>
        <translation>The certificate of {server} is not trusted: not logging in.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="181"/>
        <source>{server} is not encrypted (http://): use its https:// address.</source>
        <translation>{server} is not encrypted (http://): use its https:// address.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/widgets.py" line="34"/>
        <source>Insecure connections allowed: this app may talk to its server without encryption.</source>
        <translation>Insecure connections allowed: this app may talk to its server without encryption.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="87"/>
        <source>Remember me</source>
        <extracomment>&quot;remember me&quot; was ticked but the keyring refused the keyring has answered (saved login or why not)</extracomment>
        <translation>Remember me</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="88"/>
        <source>Server</source>
        <translation>Server</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="89"/>
        <location filename="../../remoteapp/ui/customer_texts.py" line="36"/>
        <source>Email</source>
        <translation>Email</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="90"/>
        <location filename="../../remoteapp/ui/agent_window.py" line="100"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="166"/>
        <source>Password</source>
        <translation>Password</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="102"/>
        <source>Log in</source>
        <translation>Log in</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="122"/>
        <source>Login will not be remembered: no keyring on this system.</source>
        <translation>Login will not be remembered: no keyring on this system.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="144"/>
        <source>Fill in server, email and password.</source>
        <translation>Fill in server, email and password.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="147"/>
        <source>Logging in...</source>
        <translation>Logging in...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="166"/>
        <source>Wrong email or password.</source>
        <translation>Wrong email or password.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="169"/>
        <source>Too many failed logins. Try again in {seconds} s.</source>
        <translation>Too many failed logins. Try again in {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="188"/>
        <source>The server {server} cannot be reached. Check the address or try again later.</source>
        <translation>The server {server} cannot be reached. Check the address or try again later.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="193"/>
        <source>Cannot log in: {reason}</source>
        <translation>Cannot log in: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="218"/>
        <source>Ticket for the session with {partner}</source>
        <extracomment>None: a new ticket will be opened</extracomment>
        <translation>Ticket for the session with {partner}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="226"/>
        <source>Ticket number</source>
        <translation>Ticket number</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="227"/>
        <source>Look up</source>
        <translation>Look up</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="233"/>
        <source>Ticket</source>
        <translation>Ticket</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="237"/>
        <source>Subject</source>
        <translation>Subject</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="238"/>
        <source>Client</source>
        <translation>Client</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="239"/>
        <source>Responsible</source>
        <translation>Responsible</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="248"/>
        <source>Start session</source>
        <translation>Start session</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="251"/>
        <source>No ticket</source>
        <translation>No ticket</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="253"/>
        <location filename="../../remoteapp/ui/updates.py" line="247"/>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="279"/>
        <source>Type the ticket number.</source>
        <translation>Type the ticket number.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="283"/>
        <source>A ticket number is from 1 to {largest}: check the number.</source>
        <translation>A ticket number is from 1 to {largest}: check the number.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="289"/>
        <source>Looking up...</source>
        <translation>Looking up...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="315"/>
        <source>There is no ticket {number}.</source>
        <translation>There is no ticket {number}.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="317"/>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="88"/>
        <source>The helpdesk server&apos;s certificate is not trusted: not connecting.</source>
        <translation>The helpdesk server&apos;s certificate is not trusted: not connecting.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="319"/>
        <location filename="../../remoteapp/ui/connect_refusals.py" line="90"/>
        <source>The helpdesk server cannot be reached now: try again in a moment.</source>
        <translation>The helpdesk server cannot be reached now: try again in a moment.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="321"/>
        <source>Cannot look the ticket up: {reason}</source>
        <translation>Cannot look the ticket up: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="339"/>
        <source>New ticket</source>
        <translation>New ticket</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="341"/>
        <source>Every remote access is recorded on a ticket. A new ticket will be opened for this connection. Continue?</source>
        <translation>Every remote access is recorded on a ticket. A new ticket will be opened for this connection. Continue?</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/widgets.py" line="104"/>
        <source>Copy</source>
        <translation>Copy</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/credentials.py" line="25"/>
        <source>the keyring package is not installed</source>
        <translation>the keyring package is not installed</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/credentials.py" line="28"/>
        <source>this system has no keyring (secret service) to keep the password in</source>
        <translation>this system has no keyring (secret service) to keep the password in</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/app.py" line="91"/>
        <source>Logged in, but the login could not be kept in the keyring.</source>
        <translation>Logged in, but the login could not be kept in the keyring.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/operations.py" line="212"/>
        <source>Something went wrong: {reason}</source>
        <extracomment>a window&apos;s few polls, each at most one in flight at a time how long the program&apos;s end waits for operations still running each operation&apos;s finish; GUI thread</extracomment>
        <translation>Something went wrong: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/updates.py" line="141"/>
        <source>Update to version {version}</source>
        <translation>Update to version {version}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/updates.py" line="230"/>
        <source>The update will be installed when the session ends.</source>
        <translation>The update will be installed when the session ends.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/updates.py" line="246"/>
        <source>Downloading version {version}...</source>
        <translation>Downloading version {version}...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/links.py" line="209"/>
        <source>End your sessions before opening a link for another server.</source>
        <translation>End your sessions before opening a link for another server.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/deployed.py" line="104"/>
        <source>Loading...</source>
        <translation>Loading...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/deployed.py" line="109"/>
        <source>Try again now</source>
        <translation>Try again now</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/deployed.py" line="148"/>
        <source>The app tries again every {seconds} s.</source>
        <translation>The app tries again every {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/deployed.py" line="155"/>
        <source>This app cannot start. {reason}</source>
        <translation>This app cannot start. {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/deployed.py" line="167"/>
        <source>Trying again...</source>
        <translation>Trying again...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="19"/>
        <source>The offered version is no longer published.</source>
        <translation>The offered version is no longer published.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="21"/>
        <source>The downloaded version did not pass the signature check; nothing was changed.</source>
        <translation>The downloaded version did not pass the signature check; nothing was changed.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="24"/>
        <source>The update server could not be reached or refused the download; try again later with the update icon.</source>
        <translation>The update server could not be reached or refused the download; try again later with the update icon.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="28"/>
        <source>The download was too slow and was stopped; try again later with the update icon.</source>
        <translation>The download was too slow and was stopped; try again later with the update icon.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="31"/>
        <source>The new version could not be saved on this computer (disk full or no permission); try again with the update icon once there is room.</source>
        <translation>The new version could not be saved on this computer (disk full or no permission); try again with the update icon once there is room.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="35"/>
        <source>The published version is not a program this system can run; nothing was changed.</source>
        <translation>The published version is not a program this system can run; nothing was changed.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="38"/>
        <source>The new version could not be put in place (no permission to change the app&apos;s file?); this version keeps running.</source>
        <translation>The new version could not be put in place (no permission to change the app&apos;s file?); this version keeps running.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="42"/>
        <source>The new version was installed but did not start; it is the one that opens next time.</source>
        <translation>The new version was installed but did not start; it is the one that opens next time.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/identity_texts.py" line="43"/>
        <location filename="../../remoteapp/ui/update_texts.py" line="51"/>
        <source>An unexpected error occurred (see the log).</source>
        <translation>An unexpected error occurred (see the log).</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/update_texts.py" line="52"/>
        <source>The update failed. {reason}</source>
        <translation>The update failed. {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_polls.py" line="31"/>
        <source>The server cannot be reached; trying again.</source>
        <translation>The server cannot be reached; trying again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_polls.py" line="36"/>
        <source>Your login has ended (a logout elsewhere, or a password change): log out and log in again. Sessions in progress go on.</source>
        <translation>Your login has ended (a logout elsewhere, or a password change): log out and log in again. Sessions in progress go on.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_session_end.py" line="29"/>
        <source>The session with {partner} has ended. {reason}</source>
        <translation>The session with {partner} has ended. {reason}</translation>
    </message>
</context>
</TS>
