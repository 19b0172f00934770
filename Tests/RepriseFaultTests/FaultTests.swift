import Foundation
import Prometheus
import RepriseRelay
import RepriseTestSupport
import Testing

/// Crashes and restarts under a steady command load. Afterwards the stream is the log
/// (message N is event N, no gap, no duplicate), every accepted command's events are in
/// the log, the scores model equals a rebuild from the log, and the score bucket equals
/// the model (`FaultRig.checkEverything`).
///
/// Only with `REPRISE_FAULT_TESTS=1`: the suite runs its own PostgreSQL and nats-server
/// (`ops/services.sh` on other ports) and restarts them.
@Suite("Faults under load", .serialized, .enabled(if: PrivateServers.enabled), .privateServers)
struct FaultTests {
    @Test("kill -9 of the relay while it publishes a backlog: the next relay resumes at the stream's tail")
    func relayKilledMidBatch() async throws {
        try await FaultRig.with { rig in
            try await rig.projector.start()
            let load = rig.makeLoad()
            let started = ContinuousClock.now
            var atKill = (streamTail: UInt64(0), numbered: UInt64(0))
            let report = try await load.running {
                // A backlog first: the relay numbers it in large batches, publishes each
                // asynchronously, and is killed as soon as the first acks land, while the
                // rest of its batch is in flight.
                try await waitUntil("the log holds 600 events") { try await rig.eventCount() >= 600 }
                try await rig.relay.start()
                try await waitUntil("the relay published", every: .milliseconds(2)) { try await rig.streamTail() > 0 }
                await rig.relay.kill9()
                atKill = (try await rig.streamTail(), try await rig.numbered())
                try await rig.relay.start()
                try await load.waitForMore(300)
            }
            let events = try await rig.waitForConvergence()
            rig.logger.notice("Relay killed", metadata: [
                "stream.tail.at_kill": "\(atKill.streamTail)", "numbered.at_kill": "\(atKill.numbered)",
                "events": "\(events)", "commands": "\(report.commands)", "retries": "\(report.retries)",
                "load.seconds": "\(ContinuousClock.now - started)",
            ])
            try await rig.checkEverything(report)
            #expect(!(await rig.relay.hasDied))
        }
    }

    @Test("kill -9 of the projector while it catches up a backlog: it resumes after its checkpoint")
    func projectorKilledMidBatch() async throws {
        try await FaultRig.with { rig in
            try await rig.relay.start()
            let load = rig.makeLoad()
            let started = ContinuousClock.now
            var atKill = (checkpoint: UInt64(0), streamTail: UInt64(0))
            let report = try await load.running {
                // A backlog first: the projector applies it in batches of 500 back to back,
                // and is killed as soon as the first one committed, inside the next.
                try await waitUntil("the stream holds 800 messages") { try await rig.streamTail() >= 800 }
                try await rig.projector.start()
                try await waitUntil("the projector committed a batch", every: .milliseconds(5)) { try await rig.checkpoint() > 0 }
                await rig.projector.kill9()
                atKill = (try await rig.checkpoint(), try await rig.streamTail())
                try await rig.projector.start()
                try await load.waitForMore(300)
            }
            let events = try await rig.waitForConvergence()
            rig.logger.notice("Projector killed", metadata: [
                "checkpoint.at_kill": "\(atKill.checkpoint)", "stream.tail.at_kill": "\(atKill.streamTail)",
                "events": "\(events)", "commands": "\(report.commands)", "retries": "\(report.retries)",
                "load.seconds": "\(ContinuousClock.now - started)",
            ])
            try await rig.checkEverything(report)
            #expect(!(await rig.projector.hasDied))
        }
    }

    @Test("a restart of nats-server: relay and projector reconnect and carry on")
    func natsRestarted() async throws {
        try await FaultRig.with { rig in
            try await rig.relay.start()
            try await rig.projector.start()
            let load = rig.makeLoad()
            let started = ContinuousClock.now
            let report = try await load.running {
                try await waitUntil("the projector applied 300 events") { try await rig.checkpoint() >= 300 }
                try await PrivateServers.restartNATS()
                try await load.waitForMore(300)
            }
            let events = try await rig.waitForConvergence()
            rig.logger.notice("nats-server restarted", metadata: [
                "events": "\(events)", "commands": "\(report.commands)", "retries": "\(report.retries)",
                "load.seconds": "\(ContinuousClock.now - started)",
            ])
            try await rig.checkEverything(report)
            #expect(!(await rig.relay.hasDied))
            #expect(!(await rig.projector.hasDied))
        }
    }

    @Test("kill -9 of nats-server under load: relay, projector and publisher reconnect and converge")
    func natsKilled() async throws {
        try await natsKilled(description: "nats-server killed") { _ in try await PrivateServers.killNATS() }
    }

    @Test("kill -9 of nats-server under load, losing its unsynced tail: stream, model and bucket converge")
    func natsKilledLosingTail() async throws {
        try await natsKilled(description: "nats-server killed, tail lost") { rig in
            try await PrivateServers.killNATSLosingTail(of: [rig.streamName, "KV_" + rig.bucketName], bytes: 4096)
        }
    }

    /// Kills nats-server while the relay publishes, the projector consumes and the publisher
    /// writes scores, all at once; reports how far the stream and the bucket went back.
    private func natsKilled(description: String, kill: (FaultRig) async throws -> Void) async throws {
        try await FaultRig.with { rig in
            try await rig.relay.start()
            try await rig.projector.start()
            let load = rig.makeLoad()
            let started = ContinuousClock.now
            var tail = (beforeKill: UInt64(0), afterRestart: UInt64(0))
            var bucketRevision = (beforeKill: UInt64(0), afterRestart: UInt64(0))
            let report = try await load.running {
                try await waitUntil("the projector applied 300 events") { try await rig.checkpoint() >= 300 }
                tail.beforeKill = try await rig.streamTail()
                bucketRevision.beforeKill = try await rig.bucketRevision()
                try await kill(rig)
                // What survived, read as soon as this process has reconnected.
                try await waitUntil("nats-server answers again") {
                    tail.afterRestart = try await rig.streamTail()
                    bucketRevision.afterRestart = try await rig.bucketRevision()
                    return true
                }
                try await load.waitForMore(300)
            }
            let events = try await rig.waitForConvergence()
            rig.logger.notice("nats-server killed", metadata: [
                "scenario": "\(description)",
                "stream.tail.before_kill": "\(tail.beforeKill)", "stream.tail.after_restart": "\(tail.afterRestart)",
                "bucket.revision.before_kill": "\(bucketRevision.beforeKill)",
                "bucket.revision.after_restart": "\(bucketRevision.afterRestart)",
                "events": "\(events)", "commands": "\(report.commands)", "retries": "\(report.retries)",
                "load.seconds": "\(ContinuousClock.now - started)",
            ])
            try await rig.checkEverything(report)
            #expect(!(await rig.relay.hasDied))
            #expect(!(await rig.projector.hasDied))
        }
    }

    @Test("a restart of PostgreSQL: commands are retried by id, relay and projector reconnect")
    func postgresRestarted() async throws {
        try await FaultRig.with { rig in
            try await rig.relay.start()
            try await rig.projector.start()
            let load = rig.makeLoad()
            let started = ContinuousClock.now
            let report = try await load.running {
                try await waitUntil("the projector applied 300 events") { try await rig.checkpoint() >= 300 }
                try await PrivateServers.restartPostgres()
                try await load.waitForMore(300)
            }
            let events = try await rig.waitForConvergence()
            rig.logger.notice("PostgreSQL restarted", metadata: [
                "events": "\(events)", "commands": "\(report.commands)", "retries": "\(report.retries)",
                "load.seconds": "\(ContinuousClock.now - started)",
            ])
            try await rig.checkEverything(report)
            #expect(!(await rig.relay.hasDied))
            #expect(!(await rig.projector.hasDied))
        }
    }

    @Test("a foreign message in the event stream under load: the relay halts, commands go on, `reprise stream rebuild` restores it")
    func foreignMessage() async throws {
        try await FaultRig.with { rig in
            try await rig.relay.start()
            try await rig.projector.start()
            let load = rig.makeLoad()
            let started = ContinuousClock.now
            var atHalt = (events: UInt64(0), streamTail: UInt64(0))
            var rebuild = (status: Int32(-1), output: "")
            let report = try await load.running {
                try await waitUntil("the projector applied 300 events") { try await rig.checkpoint() >= 300 }
                try await rig.publishForeignMessage()
                try await waitUntil("the relay halted") { try await FanoutStatus.read(on: rig.pool)?.state == .halted }
                atHalt = (try await rig.eventCount(), try await rig.streamTail())
                // The log keeps taking commands while nothing is published.
                try await load.waitForMore(300)
                #expect(try await rig.eventCount() > atHalt.events)
                #expect(!(await rig.relay.hasDied))
                rebuild = try await rig.runReprise(["stream", "rebuild", "--wait-seconds", "120"])
                try await load.waitForMore(100)
            }
            #expect(rebuild.status == 0, "reprise stream rebuild: \(rebuild.output)")
            let events = try await rig.waitForConvergence()
            rig.logger.notice("Foreign message", metadata: [
                "events.at_halt": "\(atHalt.events)", "stream.tail.at_halt": "\(atHalt.streamTail)",
                "events": "\(events)", "commands": "\(report.commands)", "load.seconds": "\(ContinuousClock.now - started)",
            ])
            try await rig.checkEverything(report)
            #expect(try await FanoutStatus.read(on: rig.pool) == .publishing)
            #expect(!(await rig.relay.hasDied))
            #expect(!(await rig.projector.hasDied))
        }
    }

    @Test("a poison event: dead-lettered and counted, the projector carries on, verify still matches")
    func poisonEvent() async throws {
        try await FaultRig.with { rig in
            try await rig.relay.start()
            // In this process, to read its metrics.
            try await rig.withProjectors { platform in
                let registry = platform.registry
                let load = rig.makeLoad()
                var poison: (commandIDs: Set<String>, eventID: UUID)?
                let report = try await load.running {
                    try await waitUntil("the projector applied 100 events") { try await rig.checkpoint() >= 100 }
                    poison = try await rig.appendPoisonEvent()
                    try await load.waitForMore(300)
                }
                let events = try await rig.waitForConvergence()
                let poisonEvent = try #require(poison)
                let sequence = try #require(try await rig.globalSequence(of: poisonEvent.eventID))
                rig.logger.notice("Poison event", metadata: [
                    "sequence": "\(sequence)", "events": "\(events)", "commands": "\(report.commands)",
                ])
                #expect(sequence < events, "the projector went on past the poison event")
                try await rig.checkEverything(report, extraCommands: poisonEvent.commandIDs, deadLetters: [sequence])
                #expect(counterValue(registry, #"reprise_projector_dead_letters_total{projection="scores"}"#) == 1)
                #expect(counterValue(registry, #"reprise_projector_stopped{projection="scores"}"#) == 0)
            }
        }
    }
}
