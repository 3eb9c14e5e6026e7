#!/usr/bin/env python3
"""An independent ONVIF client against facegate's test camera (OnvifTestCamera).

onvif-zeep-async (the client Home Assistant uses) reads every answer through the ONVIF WSDLs
and XSDs with zeep, and computes its own WS-Security digests, so the test camera is checked
against someone else's reading of the specifications, not ours. Prints one JSON object per
step; exits non-zero on the first failure.

usage: onvif-zeep-check.py HOST PORT USER PASSWORD
"""
import asyncio
import datetime as dt
import json
import sys

from onvif import ONVIFCamera
from zeep.exceptions import Fault


def say(step, **fields):
    print(json.dumps({"step": step, **fields}, default=str), flush=True)


def items(group):
    out = {}
    for item in (getattr(group, "SimpleItem", None) or []):
        out[item.Name] = item.Value
    return out


async def main(host, port, user, password):
    cam = ONVIFCamera(host, port, user, password, adjust_time=True)  # as Home Assistant does
    await cam.update_xaddrs()  # GetSystemDateAndTime (no login), then GetServices with a digest
    say("time", dt_diff_s=cam.dt_diff.total_seconds(), xaddrs=sorted(cam.xaddrs.values()))
    capabilities = await cam.get_capabilities()  # GetCapabilities(All)
    say("capabilities", events=capabilities["Events"]["XAddr"], pullpoint=capabilities["Events"]["WSPullPointSupport"])

    events = await cam.create_events_service()
    created = await events.CreatePullPointSubscription({"InitialTerminationTime": "PT60S"})
    address = created.SubscriptionReference.Address._value_1
    say("subscribed", address=address, lifetime_s=(created.TerminationTime - created.CurrentTime).total_seconds())
    cam.xaddrs["http://www.onvif.org/ver10/events/wsdl/PullPointSubscription"] = address
    pull = await cam.create_pullpoint_service()
    pulled = await pull.PullMessages({"Timeout": dt.timedelta(seconds=2), "MessageLimit": 10})
    for message in pulled.NotificationMessage:
        inner = message.Message._value_1
        if hasattr(inner, "iter"):  # left as XML
            operation = inner.attrib.get("PropertyOperation")
            data = {e.get("Name"): e.get("Value") for e in inner.iter("{http://www.onvif.org/ver10/schema}SimpleItem")
                    if e.getparent().tag.endswith("Data")}
        else:  # read through tt:Message's schema type
            operation = inner.PropertyOperation
            data = items(inner.Data)
        say("notification", topic=message.Topic._value_1, operation=operation, data=data, utc_time=inner.UtcTime
            if not hasattr(inner, "iter") else inner.attrib.get("UtcTime"))
    subscription = await cam.create_subscription_service("PullPointSubscription")
    renewed = await subscription.Renew({"TerminationTime": "PT120S"})
    say("renewed", lifetime_s=(renewed.TerminationTime - renewed.CurrentTime).total_seconds())
    await subscription.Unsubscribe()
    say("unsubscribed")
    await cam.close()

    wrong = ONVIFCamera(host, port, user, password + "-wrong", adjust_time=True)
    try:
        await wrong.update_xaddrs()
        await wrong.get_capabilities()
        say("wrong-password", refused=False)
    except Fault as fault:
        say("wrong-password", refused=True, subcode=str(fault.subcodes[0].text) if fault.subcodes else None,
            message=fault.message)
    except Exception as error:  # the client wraps some faults
        say("wrong-password", refused=True, subcode=None, message=str(error))
    finally:
        await wrong.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]))
