import ArgumentParser
import FastReceiver
import Testing

@testable import FastReceiverCLI

/// A setting declared once, as a new one is: its flag, variable, default, rule and help all come
/// from the one declaration.
@Suite struct SettingTests {
    /// Settings as forwarding and HTTPS will add them: one with a default, optional ones (with a
    /// range, with a rule of their own), and one whose value may hold a password.
    struct ExampleOptions: ParsableArguments {
        @Option("--table", "EXAMPLE_TABLE", default: "dt_events", help: "Table events are written to.", valueName: "name")
        var table: Setting<String>

        @Option("--replica", "EXAMPLE_REPLICA", default: nil, rule: .range(0...63), help: "This replica's number.", valueName: "n")
        var replica: Setting<Int?>

        @Option(
            "--database-url", "EXAMPLE_DATABASE_URL", default: "postgresql://user:default-password@localhost/db",
            rule: SettingRule(requirement: "start with postgresql://") { $0.hasPrefix("postgresql://") }, isSecret: true,
            help: "Where to forward events.", valueName: "url")
        var databaseURL: Setting<String>

        @Option(
            "--tls-cert", "EXAMPLE_TLS_CERT", default: nil, rule: SettingRule(requirement: "end in .pem") { $0.hasSuffix(".pem") },
            help: "Certificate chain to serve HTTPS with.", valueName: "file")
        var certificate: Setting<String?>
    }

    @Test("One declaration gives the flag, the variable, the default and the help line")
    func declaration() throws {
        let help = ExampleOptions.helpMessage(columns: 1000)
        #expect(help.contains("--table <name>"))
        #expect(help.contains("Table events are written to. [EXAMPLE_TABLE] (default: dt_events)"))
        #expect(help.contains("This replica's number. [EXAMPLE_REPLICA]\n"))
        #expect(try ExampleOptions.parse([]).table.value(in: [:]) == "dt_events")
        #expect(try ExampleOptions.parse([]).table.value(in: ["EXAMPLE_TABLE": "events"]) == "events")
        #expect(try ExampleOptions.parse(["--table", "mine"]).table.value(in: ["EXAMPLE_TABLE": "events"]) == "mine")
    }

    @Test("A setting without a default is nil until given, and checked once given")
    func optional() throws {
        let options = try ExampleOptions.parse([])
        #expect(try options.replica.value(in: [:]) == nil)
        #expect(try options.replica.value(in: ["EXAMPLE_REPLICA": "3"]) == 3)
        #expect(throws: ConfigurationError("EXAMPLE_REPLICA must be between 0 and 63 for --replica; got 64.")) {
            try options.replica.value(in: ["EXAMPLE_REPLICA": "64"])
        }
    }

    @Test("A rule for a setting without a default applies to the value once given")
    func optionalRule() throws {
        let options = try ExampleOptions.parse([])
        #expect(try options.certificate.value(in: [:]) == nil)
        #expect(try options.certificate.value(in: ["EXAMPLE_TLS_CERT": "chain.pem"]) == "chain.pem")
        #expect(throws: ConfigurationError("--tls-cert must end in .pem; got chain.der.")) {
            try ExampleOptions.parse(["--tls-cert", "chain.der"]).certificate.value(in: [:])
        }
    }

    @Test("A secret setting never shows its value: not as the default in --help, not in a refusal")
    func secret() throws {
        #expect(!ExampleOptions.helpMessage(columns: 1000).contains("default-password"))
        let options = try ExampleOptions.parse(["--database-url", "mysql://user:flag-password@host/db"])
        #expect(throws: ConfigurationError("--database-url must start with postgresql://.")) { try options.databaseURL.value(in: [:]) }
        let fromEnvironment = try ExampleOptions.parse([])
        #expect(throws: ConfigurationError("EXAMPLE_DATABASE_URL must start with postgresql:// for --database-url.")) {
            try fromEnvironment.databaseURL.value(in: ["EXAMPLE_DATABASE_URL": "mysql://user:env-password@host/db"])
        }
    }

    @Test("Seconds take fractions and round to milliseconds; anything not a finite number of seconds is refused")
    func seconds() {
        #expect(Seconds(settingText: "2.5")?.milliseconds == 2500)
        #expect(Seconds(settingText: " 10 ")?.milliseconds == 10_000)
        #expect(Seconds(settingText: "0.0004")?.milliseconds == 0)
        #expect(Seconds(settingText: "1e12")?.milliseconds == 1_000_000_000_000_000)
        for text in ["", "soon", "nan", "inf", "-inf", "1e13", "1e300", "0x"] {
            #expect(Seconds(settingText: text) == nil, "\(text)")
        }
        #expect(Seconds(milliseconds: 100).settingText == "0.1")
        #expect(Seconds(milliseconds: 3_600_000).settingText == "3600")
    }

    @Test("Whole numbers are read in base 10 and must fit their type")
    func wholeNumbers() {
        #expect(Int(settingText: " 42 ") == 42)
        #expect(Int(settingText: "4.0") == nil)
        #expect(Int(settingText: "0x10") == nil)
        #expect(Int(settingText: "99999999999999999999") == nil)
        #expect(Int64(settingText: "-60") == -60)
    }
}
