import Hummingbird
import Logging
import NIOCore
import Prometheus

/// The operations endpoints alone, for processes that run no API (a relay, a ticker,
/// projectors): `GET /health/live` and `GET /metrics` from the process's registry.
public func buildOperationsApplication(
    host: String, port: Int, registry: PrometheusCollectorRegistry, logger: Logger
) -> some ApplicationProtocol {
    let router = Router()
    router.get("/health/live") { _, _ in
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: #"{"status":"live"}"#)))
    }
    router.get("/metrics") { _, _ in
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: registry.emitToString())))
    }
    return Application(
        router: router,
        configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "reprise-operations"),
        logger: logger
    )
}
