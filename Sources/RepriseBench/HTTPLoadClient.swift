import NIOCore
import NIOHTTP1
import NIOPosix

/// One request of a load run.
public struct LoadRequest: Sendable {
    public var method: HTTPMethod
    public var path: String
    public var headers: HTTPHeaders
    public var body: ByteBuffer?

    public init(method: HTTPMethod, path: String, headers: HTTPHeaders = [:], body: ByteBuffer? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}

/// The status and body of one answer.
public struct LoadResponse: Sendable {
    public let status: Int
    public let body: ByteBuffer
}

/// An HTTP/1.1 client for load runs: keep-alive connections, one request in flight on each,
/// on swift-nio's NIOPosix and NIOHTTP1 (there is no HTTP client library in the build).
///
/// Deliberately small: no redirects, no TLS, no pipelining, no chunked request bodies. The
/// server under test must answer with a `Content-Length` or chunked body, as Hummingbird does.
public enum HTTPLoadClient {
    /// Opens a connection to `host:port`, runs `session` on it, then closes it.
    public static func withConnection<R: Sendable>(
        host: String, port: Int, _ session: (HTTPLoadConnection) async throws -> R
    ) async throws -> R {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await session(HTTPLoadConnection(host: host, responses: inbound.makeAsyncIterator(), requests: outbound))
        }
    }
}

/// One open keep-alive connection. Not `Sendable`: one task sends on it, one request at a time.
public final class HTTPLoadConnection {
    private let host: String
    private var responses: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let requests: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

    init(
        host: String,
        responses: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator,
        requests: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    ) {
        self.host = host
        self.responses = responses
        self.requests = requests
    }

    /// Sends `request` and waits for the whole answer.
    public func send(_ request: LoadRequest) async throws -> LoadResponse {
        var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.path, headers: request.headers)
        head.headers.replaceOrAdd(name: "Host", value: host)
        head.headers.replaceOrAdd(name: "Content-Length", value: String(request.body?.readableBytes ?? 0))
        if let body = request.body {
            try await requests.write(contentsOf: [.head(head), .body(.byteBuffer(body)), .end(nil)])
        } else {
            try await requests.write(contentsOf: [.head(head), .end(nil)])
        }
        var status: Int?
        var body = ByteBuffer()
        while let part = try await responses.next() {
            switch part {
            case .head(let responseHead):
                status = Int(responseHead.status.code)
            case .body(var chunk):
                body.writeBuffer(&chunk)
            case .end:
                guard let status else { throw HTTPLoadError(.malformedResponse, "a response ended before its head") }
                return LoadResponse(status: status, body: body)
            }
        }
        throw HTTPLoadError(.connectionClosed, "the server closed the connection before answering \(request.method) \(request.path)")
    }
}

/// Why a load run's exchange failed.
public struct HTTPLoadError: Error, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        public static let connectionClosed = Code(name: "connection_closed")
        public static let malformedResponse = Code(name: "malformed_response")
        /// The server answered with a status the workload did not expect.
        public static let unexpectedStatus = Code(name: "unexpected_status")
    }

    public let code: Code
    public let message: String
    public var description: String { "\(code): \(message)" }

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
