#pragma once
/* <nats.h> is a deprecated wrapper that emits #warning; the real header lives under nats/. */
#include <nats/nats.h>
