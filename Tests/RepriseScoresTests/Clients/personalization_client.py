#!/usr/bin/env python3
"""A personalization system written with the official Python client (nats-py), as
PersonalizationClientTests drives it. It connects as the `personalization` user with its
inbox prefix, and reports what it sees as JSON lines on stdout:

  {"event": "refused", "what": ...}           a call or subscription the server refused
  {"event": "allowed", "what": ...}           one it should have refused but did not
  {"event": "get"|"keys", ...}                the direct reads
  {"event": "entry", "live": bool, ...}       each watched entry (the snapshot, then live)
  {"event": "snapshot-done"}                  the watcher's end-of-snapshot marker
  {"event": "planted", "target": ...}         a consumer delivering to a subject of the
                                              platform's (it must reach only this account)
  {"event": "done", "overheard": n, ...}      after the watched key was deleted

It does not judge; the Swift test does. It exits 2 when nats-py cannot be imported.
"""
import argparse
import asyncio
import json
import sys

try:
    import nats
    from nats.js.api import ConsumerConfig
except ImportError as error:  # the test must fail, never skip, without the client
    print(json.dumps({"event": "missing-client", "detail": str(error)}), flush=True)
    sys.exit(2)

REFUSAL_TIMEOUT = 1.5


def emit(**fields):
    print(json.dumps(fields, sort_keys=True), flush=True)


async def main(args):
    violations = []

    async def on_error(error):
        violations.append(str(error).lower())

    nc = await nats.connect(
        args.url, inbox_prefix=args.inbox_prefix.encode(), name="personalization-python",
        error_cb=on_error, max_reconnect_attempts=0, connect_timeout=5,
    )
    js = nc.jetstream(timeout=REFUSAL_TIMEOUT)

    # Wide subscriptions: the server must refuse them, and none may ever deliver anything.
    overheard = {"count": 0, "subjects": []}

    async def overhear(msg):
        overheard["count"] += 1
        if len(overheard["subjects"]) < 10:
            overheard["subjects"].append(msg.subject)

    wide = ["_INBOX.>", ">", "_INBOX_relay.>", "_INBOX_projector-scores.>", "_INBOX_reprise.>", "events.>"]
    for subject in wide:
        await nc.subscribe(subject, cb=overhear)
    await nc.flush()
    await asyncio.sleep(0.5)
    for subject in wide:
        if any(f'subscription to "{subject.lower()}"' in v for v in violations):
            emit(event="refused", what=f"subscribe {subject}")
        else:
            emit(event="allowed", what=f"subscribe {subject}")

    # The mirror may lag the platform's bucket by a moment.
    kv = None
    entry = None
    for _ in range(240):
        try:
            kv = kv or await js.key_value(args.bucket)
            entry = await kv.get(args.key)
            break
        except Exception:
            await asyncio.sleep(0.25)
    if entry is None:
        emit(event="get", key=args.key, value=None)
        await nc.close()
        return
    emit(event="get", key=entry.key, value=entry.value.decode())
    keys = await kv.keys()
    emit(event="keys", count=len(keys), contains=args.key in keys)

    watcher = await kv.watch(args.watch)
    live = False
    deleted = False
    while not deleted:
        update = await watcher.updates(timeout=args.timeout)
        if update is None:
            live = True
            emit(event="snapshot-done")
            continue
        operation = update.operation or "PUT"
        emit(event="entry", live=live, key=update.key, op=operation,
             value=update.value.decode() if update.value else None)
        if live and operation in ("DEL", "PURGE") and update.key == args.key:
            deleted = True
    await watcher.stop()

    # Everything else must be refused.
    async def expect_refused(what, call):
        try:
            await call()
            emit(event="allowed", what=what)
        except Exception as error:
            emit(event="refused", what=what, error=type(error).__name__)

    await expect_refused("put", lambda: kv.put(args.key, b'{"forged":true}'))
    await expect_refused("delete", lambda: kv.delete(args.key))
    await expect_refused("purge", lambda: kv.purge(args.key))
    await expect_refused("durable consumer", lambda: js.add_consumer(args.stream, durable_name="personalization-durable"))
    await expect_refused("EVENTS stream info", lambda: js.stream_info("EVENTS"))
    await expect_refused("EVENTS message get", lambda: js.get_msg("EVENTS", 1))
    await expect_refused("EVENTS consumer", lambda: js.add_consumer("EVENTS", ConsumerConfig(deliver_subject="events.forged")))
    await expect_refused("platform API", lambda: nc.request("$JS.REPRISE.API.CONSUMER.CREATE.KV_scores", b"{}", timeout=REFUSAL_TIMEOUT))
    await expect_refused("publish events", lambda: js.publish("events.campaign.created", b"{}"))
    await expect_refused("delete the mirror", lambda: js.delete_stream(args.stream))

    # A consumer's deliveries go wherever its creator says (nats-server#8274). Here they can
    # only land in this account: the platform's EVENTS must not change.
    planted = []
    for target in ["events.forged", "$JS.REPRISE.API.CONSUMER.CREATE.KV_scores", "$JS.FC.KV_scores.forged"]:
        try:
            info = await js.add_consumer(args.stream, ConsumerConfig(deliver_subject=target))
            planted.append(info.name)
            emit(event="planted", target=target)
        except Exception as error:
            emit(event="refused", what=f"deliver to {target}", error=type(error).__name__)
    await asyncio.sleep(1.5)
    for name in planted:
        try:
            await js.delete_consumer(args.stream, name)
        except Exception:
            pass

    await nc.flush()
    await asyncio.sleep(0.3)
    emit(event="done", overheard=overheard["count"], overheard_subjects=overheard["subjects"], violations=violations)
    await nc.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--inbox-prefix", default="_INBOX_personalization")
    parser.add_argument("--bucket", default="scores")
    parser.add_argument("--stream", default="KV_scores")
    parser.add_argument("--key", required=True, help="the key to get, and whose deletion ends the watch")
    parser.add_argument("--watch", required=True, help="the keys to watch, e.g. *.home.trk-1")
    parser.add_argument("--timeout", type=float, default=60, help="longest wait for a watched update, in seconds")
    asyncio.run(main(parser.parse_args()))
