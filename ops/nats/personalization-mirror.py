#!/usr/bin/env python3
"""Creates (or updates) KV_<bucket> in the PERSONALIZATION account: a mirror of the
platform's score bucket (a stream sourcing it under the same subjects), which personalization systems open as an ordinary key-value
bucket with any official NATS client (watch, keys, get), without seeing anything of the
platform's account. Run by ops/services.sh start; idempotent.

The mirror reaches the platform's bucket through the imports in ops/nats/nats-server.conf:
the consumer API as $JS.REPRISE.API, deliveries on deliver.personalization.>. It may be
created before the platform's bucket exists; the server keeps retrying the source until
it does.

    personalization-mirror.py --url nats://personalization-admin:PASSWORD@host:4222 [--bucket scores]
"""
import argparse
import asyncio
import sys

import nats
from nats.js.api import ExternalStream, StreamConfig, StreamSource
from nats.js.errors import NotFoundError


def mirror_config(bucket: str, history: int) -> StreamConfig:
    stream = f"KV_{bucket}"
    return StreamConfig(
        name=stream,
        description=f"copy of the platform's {bucket} bucket, for personalization",
        # A stream sourcing the platform's bucket rather than a strict mirror: a mirror can
        # have no subjects, and libnats 3.4.1 finds a bucket's stream by subject when it
        # watches or lists keys. Nobody here may publish on these subjects.
        subjects=[f"$KV.{bucket}.>"],
        sources=[StreamSource(
            name=stream,
            external=ExternalStream(api="$JS.REPRISE.API", deliver="deliver.personalization"),
        )],
        # What makes clients treat the stream as a bucket: the history per key, and direct gets.
        max_msgs_per_subject=history,
        allow_direct=True,
        # A purge in the platform's bucket arrives as a rollup; a sourced stream refuses it,
        # and then stops sourcing altogether, unless rollups are allowed.
        allow_rollup_hdrs=True,
        # Watchers are ephemeral consumers; the bound keeps one reader from piling up more.
        max_consumers=128,
    )


async def ensure_mirror(url: str, bucket: str, history: int) -> None:
    nc = await nats.connect(url, inbox_prefix=b"_INBOX_personalization-admin", name="reprise-personalization-mirror",
                            connect_timeout=5, max_reconnect_attempts=0)
    try:
        js = nc.jetstream()
        config = mirror_config(bucket, history)
        try:
            existing = await js.stream_info(config.name)
            if existing.config.mirror is not None:
                # An earlier layout: a mirror cannot become a sourced stream in place. The
                # copy fills again from the platform's bucket.
                await js.delete_stream(config.name)
                raise NotFoundError
            await js.update_stream(config)
            action = "updated"
        except NotFoundError:
            await js.add_stream(config)
            action = "created"
        print(f"reprise-ops: personalization mirror {config.name} {action}", file=sys.stderr)
    finally:
        await nc.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="NATS URL of the personalization-admin user")
    parser.add_argument("--bucket", default="scores", help="the platform's score bucket (default: scores)")
    parser.add_argument("--history", type=int, default=1, help="values kept per key, as in the platform's bucket")
    args = parser.parse_args()
    asyncio.run(ensure_mirror(args.url, args.bucket, args.history))


if __name__ == "__main__":
    main()
