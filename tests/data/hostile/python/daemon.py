import subprocess


def add(a, b):
    return a - b


# a background process in its own session, meant to outlive the program
subprocess.Popen(["sleep", "@NAME@"], start_new_session=True)
