internal import ArgumentParser
internal import FastReceiver

/// The forwarding flags `serve`, `forward` and `journal stats` share, declared once.
struct ForwardingFlags: ParsableArguments {
    @Option(name: .customLong("database-url"), help: ArgumentHelp(
        """
        PostgreSQL to forward stored events to: a libpq connection URI such as \
        postgres://user:password@host:5432/db?sslmode=require, or key=value pairs [DATABASE_URL]. \
        Unset: nothing is forwarded.
        """, valueName: "url"))
    var databaseURL: String?
    @Option(name: .customLong("database-table"), help: ArgumentHelp(
        """
        The events table, created if missing with <table>_positions and <table>_rejected beside it \
        [FAST_RECEIVER_DATABASE_TABLE]. Default dt_events.
        """, valueName: "name"))
    var databaseTable: String?
    @Option(help: ArgumentHelp(
        """
        This journal's name in <table>_positions: unique per replica and the same across its \
        restarts [FAST_RECEIVER_REPLICA]. Default: the host name (a StatefulSet pod's name is stable).
        """, valueName: "name"))
    var replica: String?

    var options: ForwardingOptions {
        var options = ForwardingOptions()
        options.databaseURL = databaseURL
        options.databaseTable = databaseTable
        options.replica = replica
        return options
    }
}
