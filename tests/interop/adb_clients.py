#!/usr/bin/env python3
"""Drives a virtual handset with the Python ADB clients users already have, and prints what
each saw as one JSON object (tests/tests/e2e/interop.rs checks it against the lab).

  adb_clients.py adbutils SERVER_PORT SERIAL   adbutils through a running adb server
  adb_clients.py adb-shell HOST PORT KEYDIR    adb-shell straight to the handset, with AUTH
  adb_clients.py mobly SERIAL LOGDIR           Mobly's AndroidDevice through the adb server
                                               (ANDROID_ADB_SERVER_PORT names its port)
"""

import json
import os
import sys
import zipfile


def via_adbutils(port, serial):
    import adbutils

    client = adbutils.AdbClient(host="127.0.0.1", port=int(port))
    out = {"connect": client.connect(serial, timeout=10)}
    device = client.device(serial=serial)
    out["state"] = device.get_state()
    out["model"] = device.prop.model
    out["release"] = device.getprop("ro.build.version.release")
    out["echo"] = device.shell("echo farend interop")
    ret = device.shell2("echo out; false")
    out["exit_code"] = ret.returncode
    out["exit_output"] = ret.output
    out["registry_has_call_state"] = "mCallState=" in device.shell("dumpsys telephony.registry")
    out["logcat_lines"] = len(device.shell("logcat -d -v threadtime -b main,system,radio").splitlines())
    try:
        device.sync.push(b"x", "/sdcard/x.txt")
        out["push_error"] = None
    except Exception as e:  # the virtual handset's storage is read-only
        out["push_error"] = f"{type(e).__name__}: {e.args}"
    return out


def via_adb_shell(host, port, keydir):
    from adb_shell.adb_device import AdbDeviceTcp
    from adb_shell.auth.keygen import keygen
    from adb_shell.auth.sign_pythonrsa import PythonRSASigner

    out = {}
    # Without a key, a handset that asks for AUTH must refuse the host.
    bare = AdbDeviceTcp(host, int(port), default_transport_timeout_s=10.0)
    try:
        bare.connect(auth_timeout_s=5)
        out["without_key"] = "connected"
    except Exception as e:
        out["without_key"] = type(e).__name__
    finally:
        bare.close()
    key = os.path.join(keydir, "adbkey")
    keygen(key)
    signer = PythonRSASigner.FromRSAKeyPath(key)
    device = AdbDeviceTcp(host, int(port), default_transport_timeout_s=10.0)
    out["connect"] = device.connect(rsa_keys=[signer], auth_timeout_s=10)
    out["model"] = device.shell("getprop ro.product.model").strip()
    out["echo"] = device.shell("echo farend interop")
    out["registry_has_call_state"] = "mCallState=" in device.shell("dumpsys telephony.registry")
    device.close()
    return out


def via_mobly(serial, logdir):
    import glob
    import logging

    from mobly.controllers.android_device import AndroidDevice

    logging.disable(logging.CRITICAL)
    device = AndroidDevice(serial=serial)
    device.log_path = logdir
    out = {"build_info": device.build_info, "model": device.model}
    device.services.logcat.start()
    device.services.logcat.stop()
    out["logcat_files"] = len(glob.glob(os.path.join(logdir, "logcat,*")))
    report = device.take_bug_report(destination=logdir)
    out["bugreport_zip"] = zipfile.is_zipfile(report)
    if out["bugreport_zip"]:
        with zipfile.ZipFile(report) as z:
            main = z.read("main_entry.txt").decode().strip()
            text = z.read(main).decode("utf-8", errors="replace")
    else:
        with open(report, encoding="utf-8", errors="replace") as f:
            text = f.read()
    out["bugreport_dumpstate"] = "== dumpstate:" in text
    out["bugreport_registry"] = "mCallState=" in text
    return out


def main():
    mode, *args = sys.argv[1:]
    clients = {"adbutils": via_adbutils, "adb-shell": via_adb_shell, "mobly": via_mobly}
    result = clients[mode](*args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
