<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en_US">
<context>
    <name />
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="225" />
        <source>Remote access - {customer}</source>
        <translation>Remote access - {customer}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="232" />
        <source>Session</source>
        <translation>Session</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="234" />
        <source>End session</source>
        <translation>End session</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="235" />
        <source>Send Ctrl+Alt+Del</source>
        <translation>Send Ctrl+Alt+Del</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="236" />
        <source>Fit to window</source>
        <translation>Fit to window</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="239" />
        <source>Connecting...</source>
        <translation>Connecting...</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="282" />
        <source>{latency} ms · {fps} fps · {h:02d}:{m:02d}:{s:02d}</source>
        <translation>{latency} ms · {fps} fps · {h:02d}:{m:02d}:{s:02d}</translation>
    </message>
    <message>
        <location filename="../../remoteapp/ui/viewer.py" line="319" />
        <source>Session ended: {reason}</source>
        <translation>Session ended: {reason}</translation>
    </message>
</context>
</TS>