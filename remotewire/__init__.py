"""Wire code both sides share: the desktop app, the helpdesk server and the relay.

Standard library only, so that installing the server never pulls in the desktop stack and
the desktop never pulls in the server's. One definition of each shared constant lives here.
"""
