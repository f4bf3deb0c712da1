<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name></name>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="68"/>
        <source>{title} - agent {name}</source>
        <translation>{title} - agent {name}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="71"/>
        <source>Log out</source>
        <translation>Log out</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="74"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="132"/>
        <source>Your ID</source>
        <translation>Your ID</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="80"/>
        <source>Remote access</source>
        <translation>Remote access</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="81"/>
        <source>Queue</source>
        <translation>Queue</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="82"/>
        <source>Sessions in progress</source>
        <translation>Sessions in progress</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="124"/>
        <location filename="../../remoteapp/ui/agent_window.py" line="148"/>
        <source>Connect</source>
        <translation>Connect</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="126"/>
        <source>Partner ID</source>
        <translation>Partner ID</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="136"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="43"/>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="137"/>
        <location filename="../../remoteapp/ui/agent_window.py" line="162"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="46"/>
        <source>Organization</source>
        <translation>Organization</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="138"/>
        <source>Classification</source>
        <translation>Classification</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="139"/>
        <source>Waiting since</source>
        <translation>Waiting since</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="140"/>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="162"/>
        <source>Agent</source>
        <translation>Agent</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="162"/>
        <source>Customer</source>
        <translation>Customer</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="162"/>
        <source>Duration</source>
        <translation>Duration</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="168"/>
        <source>All sessions of this app</source>
        <translation>All sessions of this app</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="170"/>
        <source>Your sessions in this window</source>
        <translation>Your sessions in this window</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="213"/>
        <source>{agent} (you)</source>
        <translation>{agent} (you)</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="223"/>
        <source>A partner ID has 9 digits.</source>
        <translation>A partner ID has 9 digits.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="230"/>
        <source>Choose a customer in the queue.</source>
        <translation>Choose a customer in the queue.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="254"/>
        <source>Partner password</source>
        <translation>Partner password</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="255"/>
        <source>Password of {partner}:</source>
        <translation>Password of {partner}:</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="293"/>
        <source>Too many wrong passwords. Try again in {seconds} s.</source>
        <translation>Too many wrong passwords. Try again in {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="299"/>
        <source>Wrong partner ID or password.</source>
        <translation>Wrong partner ID or password.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="300"/>
        <source>Wrong password, try again.</source>
        <translation>Wrong password, try again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="302"/>
        <source>Not allowed: {reason}</source>
        <translation>Not allowed: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="304"/>
        <location filename="../../remoteapp/ui/agent_window.py" line="306"/>
        <source>Cannot connect: {reason}</source>
        <translation>Cannot connect: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="296"/>
        <source>You can try the password again.</source>
        <translation>You can try the password again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="324"/>
        <source>{partner} since {time}</source>
        <translation>{partner} since {time}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="338"/>
        <source>Connected to {partner}.</source>
        <translation>Connected to {partner}.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_records.py" line="43"/>
        <source>Remote access. Agent: {agent}. Customer: {customer} (ID {partner}). Start: {start}. End: {end}. {reason}</source>
        <translation>Remote access. Agent: {agent}. Customer: {customer} (ID {partner}). Start: {start}. End: {end}. {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_records.py" line="41"/>
        <location filename="../../remoteapp/ui/viewer.py" line="234"/>
        <source>Remote access - {customer}</source>
        <extracomment>records waiting for the server are tried again this often an open record waits this long at most for the claim</extracomment>
        <translation>Remote access - {customer}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_records.py" line="46"/>
        <source>the agent app stopped</source>
        <translation>the agent app stopped</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="93"/>
        <source>{count} session record(s) waiting for the server.</source>
        <translation>{count} session record(s) waiting for the server.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="241"/>
        <source>Session</source>
        <translation>Session</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="32"/>
        <source>This computer uses a Wayland session, which remote support cannot show to the agent. Log out and choose an X11 (Xorg) session on the login screen, then open this app again.</source>
        <translation>This computer uses a Wayland session, which remote support cannot show to the agent. Log out and choose an X11 (Xorg) session on the login screen, then open this app again.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="37"/>
        <source>This computer has no graphical desktop that remote support can show.</source>
        <translation>This computer has no graphical desktop that remote support can show.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="45"/>
        <source>Phone</source>
        <translation>Phone</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="79"/>
        <location filename="../../remoteapp/ui/viewer.py" line="243"/>
        <source>End session</source>
        <translation>End session</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="123"/>
        <source>Continue</source>
        <translation>Continue</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="131"/>
        <source>Tell these to the support agent:</source>
        <translation>Tell these to the support agent:</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="148"/>
        <source>Please fill in: {fields}</source>
        <translation>Please fill in: {fields}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="153"/>
        <source>The email address does not look right.</source>
        <translation>The email address does not look right.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="160"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="206"/>
        <source>Connecting to the server...</source>
        <translation>Connecting to the server...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="187"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="195"/>
        <source>Waiting for the agent to connect.</source>
        <translation>Waiting for the agent to connect.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="209"/>
        <source>The server cannot be reached. Retrying in {seconds} s.</source>
        <translation>The server cannot be reached. Retrying in {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="223"/>
        <source>{agent} is viewing and controlling this computer.</source>
        <translation>{agent} is viewing and controlling this computer.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="227"/>
        <source>Connected to {agent}.</source>
        <translation>Connected to {agent}.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/customer_window.py" line="239"/>
        <source>Session ended.</source>
        <translation>Session ended.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="244"/>
        <source>Send Ctrl+Alt+Del</source>
        <translation>Send Ctrl+Alt+Del</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="245"/>
        <source>Fit to window</source>
        <translation>Fit to window</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="250"/>
        <source>Which of the customer&apos;s monitors to show</source>
        <translation>Which of the customer&apos;s monitors to show</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_window.py" line="271"/>
        <location filename="../../remoteapp/ui/viewer.py" line="255"/>
        <source>Connecting...</source>
        <translation>Connecting...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="303"/>
        <source>{latency} ms · {fps} fps · {h:02d}:{m:02d}:{s:02d}</source>
        <translation>{latency} ms · {fps} fps · {h:02d}:{m:02d}:{s:02d}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="321"/>
        <source>All monitors</source>
        <translation>All monitors</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="323"/>
        <source>Monitor {n} ({w}x{h})</source>
        <translation>Monitor {n} ({w}x{h})</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="369"/>
        <source>Session ended: {reason}</source>
        <translation>Session ended: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="28"/>
        <location filename="../../remoteapp/ui/widgets.py" line="53"/>
        <source>Agent login</source>
        <translation>Agent login</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="40"/>
        <source>Remember me</source>
        <extracomment>&quot;remember me&quot; was ticked but the keyring refused the keyring has answered (saved login or why not)</extracomment>
        <translation>Remember me</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="41"/>
        <source>Server</source>
        <translation>Server</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="42"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="44"/>
        <source>Email</source>
        <translation>Email</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="43"/>
        <location filename="../../remoteapp/ui/agent_window.py" line="75"/>
        <location filename="../../remoteapp/ui/agent_window.py" line="141"/>
        <location filename="../../remoteapp/ui/customer_window.py" line="133"/>
        <source>Password</source>
        <translation>Password</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="53"/>
        <source>Log in</source>
        <translation>Log in</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="73"/>
        <source>Login will not be remembered: no keyring on this system.</source>
        <translation>Login will not be remembered: no keyring on this system.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="87"/>
        <source>Fill in server, email and password.</source>
        <translation>Fill in server, email and password.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="90"/>
        <source>Logging in...</source>
        <translation>Logging in...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="109"/>
        <source>Wrong email or password.</source>
        <translation>Wrong email or password.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="112"/>
        <source>Too many failed logins. Try again in {seconds} s.</source>
        <translation>Too many failed logins. Try again in {seconds} s.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="119"/>
        <source>The server {server} cannot be reached. Check the address or try again later.</source>
        <translation>The server {server} cannot be reached. Check the address or try again later.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="124"/>
        <source>Cannot log in: {reason}</source>
        <translation>Cannot log in: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="143"/>
        <source>Ticket for the session with {partner}</source>
        <extracomment>None: a new ticket will be opened</extracomment>
        <translation>Ticket for the session with {partner}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="151"/>
        <source>Ticket number</source>
        <translation>Ticket number</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="152"/>
        <source>Look up</source>
        <translation>Look up</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="157"/>
        <source>Ticket</source>
        <translation>Ticket</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="161"/>
        <source>Subject</source>
        <translation>Subject</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="162"/>
        <source>Client</source>
        <translation>Client</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="163"/>
        <source>Responsible</source>
        <translation>Responsible</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="167"/>
        <source>Start session</source>
        <translation>Start session</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="170"/>
        <source>No ticket</source>
        <translation>No ticket</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="172"/>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="181"/>
        <source>Type the ticket number.</source>
        <translation>Type the ticket number.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="184"/>
        <source>Looking up...</source>
        <translation>Looking up...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="202"/>
        <source>There is no ticket {number}.</source>
        <translation>There is no ticket {number}.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="204"/>
        <source>Cannot look the ticket up: {reason}</source>
        <translation>Cannot look the ticket up: {reason}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="222"/>
        <source>New ticket</source>
        <translation>New ticket</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/agent_dialogs.py" line="224"/>
        <source>Every remote access is recorded on a ticket. A new ticket will be opened for this connection. Continue?</source>
        <translation>Every remote access is recorded on a ticket. A new ticket will be opened for this connection. Continue?</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/widgets.py" line="74"/>
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
        <location filename="../../remoteapp/ui/app.py" line="61"/>
        <source>Logged in, but the login could not be kept in the keyring.</source>
        <translation>Logged in, but the login could not be kept in the keyring.</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/operations.py" line="132"/>
        <source>Something went wrong: {reason}</source>
        <translation>Something went wrong: {reason}</translation>
    </message>
</context>
</TS>
