internal import ArgumentParser
internal import FastReceiver

/// Where `serve` listens; `healthcheck` reads the same settings to find it.
struct ListenAddress: ParsableArguments {
    @Option("--host", "HOST", default: defaults.server.host, help: "Address to listen on.", valueName: "address")
    var host: Setting<String>

    @Option("--port", "PORT", default: defaults.server.port, rule: .range(0...65535), help: "TCP port.", valueName: "port")
    var port: Setting<Int>
}
