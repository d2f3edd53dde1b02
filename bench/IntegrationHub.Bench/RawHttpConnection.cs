using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace IntegrationHub.Bench;

/// <summary>
/// One keep-alive HTTP/1.1 connection that sends a POST written out by hand and reads just enough of the answer to
/// know its status and where it ends. HttpClient spends more CPU per request than a bare Kestrel endpoint does, and
/// the load generator shares the cores with the server, so with HttpClient the client capped every figure
/// (about 30,000 req/s against a bare endpoint where wrk reaches far more).
/// </summary>
internal sealed class RawHttpConnection : IDisposable
{
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] ContentLength = "\r\ncontent-length:"u8.ToArray();
    private static readonly byte[] Chunked = "\r\ntransfer-encoding: chunked"u8.ToArray();
    private static readonly byte[] LastChunk = "0\r\n\r\n"u8.ToArray();

    private readonly Socket _socket;
    private readonly byte[] _head;
    private readonly byte[] _request = new byte[64 * 1024];
    private readonly byte[] _response = new byte[64 * 1024];
    private readonly byte[] _headers = new byte[64 * 1024];

    private RawHttpConnection(Socket socket, byte[] head)
    {
        _socket = socket;
        _head = head;
    }

    public static async Task<RawHttpConnection> OpenAsync(Uri url, string? token, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(url.Host), url.Port), cancellationToken);
        var head = new StringBuilder()
            .Append(CultureInvariant($"POST {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\n"))
            .Append(token is null ? "" : $"Authorization: Bearer {token}\r\n")
            .Append("Content-Type: application/json\r\nContent-Length: ")
            .ToString();
        return new RawHttpConnection(socket, Encoding.ASCII.GetBytes(head));
    }

    /// <summary>Sends <paramref name="body"/> and returns the answer's status code once the whole answer is read.</summary>
    public async Task<int> PostAsync(byte[] body, CancellationToken cancellationToken)
    {
        var length = WriteRequest(body);
        await _socket.SendAsync(_request.AsMemory(0, length), SocketFlags.None, cancellationToken);

        var received = 0;
        int headerEnd;
        while ((headerEnd = _response.AsSpan(0, received).IndexOf(HeaderEnd)) < 0)
        {
            received += await ReceiveAsync(received, cancellationToken);
        }
        var (status, chunked, bodyLength) = ParseHead(headerEnd);
        var bodyStart = headerEnd + HeaderEnd.Length;
        if (chunked)
        {
            while (!_response.AsSpan(bodyStart, received - bodyStart).EndsWith(LastChunk))
            {
                received += await ReceiveAsync(received, cancellationToken);
            }
            return status;
        }
        while (received < bodyStart + bodyLength)
        {
            received += await ReceiveAsync(received, cancellationToken);
        }
        return status;
    }

    private (int Status, bool Chunked, int BodyLength) ParseHead(int headerEnd)
    {
        if (!Utf8Parser.TryParse(_response.AsSpan(9, 3), out int status, out _))
        {
            throw new IOException("The answer does not start with an HTTP status line.");
        }
        // Header names are case-insensitive: look for them in a lower-cased copy.
        var headers = _headers.AsSpan(0, headerEnd + 2);
        Ascii.ToLower(_response.AsSpan(0, headerEnd + 2), headers, out _);
        var bodyLength = 0;
        var at = headers.IndexOf(ContentLength);
        if (at >= 0)
        {
            if (!Utf8Parser.TryParse(headers[(at + ContentLength.Length)..].TrimStart((byte)' '), out bodyLength, out _))
            {
                throw new IOException("The answer's Content-Length is not a number.");
            }
        }
        return (status, headers.IndexOf(Chunked) >= 0, bodyLength);
    }

    private int WriteRequest(byte[] body)
    {
        _head.CopyTo(_request, 0);
        var at = _head.Length;
        Utf8Formatter.TryFormat(body.Length, _request.AsSpan(at), out var written);
        at += written;
        "\r\n\r\n"u8.CopyTo(_request.AsSpan(at));
        at += 4;
        body.CopyTo(_request, at);
        return at + body.Length;
    }

    private async Task<int> ReceiveAsync(int received, CancellationToken cancellationToken)
    {
        if (received == _response.Length)
        {
            throw new InvalidOperationException("The answer is larger than the bench reads.");
        }
        var read = await _socket.ReceiveAsync(_response.AsMemory(received), SocketFlags.None, cancellationToken);
        return read > 0 ? read : throw new IOException("The server closed the connection.");
    }

    private static string CultureInvariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    public void Dispose() => _socket.Dispose();
}
