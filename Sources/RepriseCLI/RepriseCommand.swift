import ArgumentParser

/// The `reprise` command: every service and operator tool is a subcommand.
public struct RepriseCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "reprise",
        abstract: "Event-sourced campaign delivery: commands in, one log, projections out.",
        discussion: """
            Every setting comes from a flag, else an environment variable, else a default; \
            `reprise config` shows what applies and where it came from.
            """,
        subcommands: [
            MigrateCommand.self,
            DoctorCommand.self,
            ConfigCommand.self,
            DemoCommand.self,
            AuditCommand.self,
            BenchCommand.self,
            ServeCommand.self,
            RelayCommand.self,
            StreamCommand.self,
            ProjectionCommand.self,
            ScoresCommand.self,
            ForecastCommand.self,
            APIKeyCommand.self,
            OpenAPICommand.self,
        ]
    )

    public init() {}
}
