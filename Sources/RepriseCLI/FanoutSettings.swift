import RepriseProjections
import RepriseRelay
import RepriseScores
import RepriseSettings

/// Names on NATS: the event stream and its subjects, the score bucket and its subjects.
/// From environment variables only (`REPRISE_NATS_EVENTS_STREAM`, …), since only tests
/// and side-by-side installations change them.
struct FanoutSettings {
    let relay: RelayConfiguration
    let projectors: ProjectorConfiguration
    let scores: ScorePublisher.Configuration

    init(resolver: SettingsResolver) throws {
        let stream = resolver.resolve(Settings.eventsStream, flag: nil).value
        let prefix = resolver.resolve(Settings.eventsSubjectPrefix, flag: nil).value
        relay = RelayConfiguration(streamName: stream, subjectPrefix: prefix)
        projectors = ProjectorConfiguration(streamName: stream, subjectPrefix: prefix)
        scores = ScorePublisher.Configuration(
            bucket: resolver.resolve(Settings.scoresBucket, flag: nil).value,
            subjectPrefix: resolver.resolve(Settings.scoresSubjectPrefix, flag: nil).value
        )
    }
}
