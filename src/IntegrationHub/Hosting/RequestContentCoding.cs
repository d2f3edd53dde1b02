using System.Collections.Frozen;
using Microsoft.AspNetCore.RequestDecompression;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace IntegrationHub.Hosting;

/// <summary>
/// Request bodies may come compressed (<c>Content-Encoding: gzip</c>, <c>deflate</c> or <c>br</c>): ASP.NET Core's
/// request decompression decodes them before any endpoint reads the body, so size limits count decoded bytes and a
/// stored trigger holds the content, not its compressed form. A body in any other coding is refused with 415 naming
/// the codings the hub takes (RFC 9110, 15.5.16): read as it came, a gzipped form or an unknown coding would be parsed
/// as the content itself and stored as garbage, with a 200.
/// A body that is not coded as it says is answered with 400 (<see cref="BadRequestExceptionHandler"/>), a body cut short
/// too: the project file turns on System.IO.Compression.UseStrictValidation, without which the decoders take the end
/// of the bytes for the end of the content and a truncated body would be stored in part.
/// </summary>
internal static class RequestContentCoding
{
    public static IServiceCollection AddRequestContentCoding(this IServiceCollection services) =>
        services.AddRequestDecompression();

    public static IApplicationBuilder UseRequestContentCoding(this IApplicationBuilder app)
    {
        var decoded = app.ApplicationServices.GetRequiredService<IOptions<RequestDecompressionOptions>>().Value.DecompressionProviders.Keys;
        // "identity" means no coding at all: the body is read as it came.
        var accepted = decoded.Append("identity").ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        var acceptEncoding = string.Join(", ", decoded.Order(StringComparer.Ordinal));
        app.Use((context, next) =>
        {
            var coding = context.Request.Headers.ContentEncoding;
            // Several codings ("gzip, br", or the header twice) too: the decompression middleware passes them on undecoded.
            if (!StringValues.IsNullOrEmpty(coding) && !(coding.Count == 1 && accepted.Contains(coding.ToString().Trim())))
            {
                // Refused when something reads the body, not here: the endpoint's checks that come first (credentials,
                // the scenario, the role) still answer first, and a request that reads no body is not refused at all.
                context.Request.Body = new UndecodableBody(coding.ToString(), acceptEncoding);
            }
            return next(context);
        });
        return app.UseRequestDecompression();
    }

    /// <summary>The body of a request in a coding the hub does not decode: any read throws, answered with 415.</summary>
    private sealed class UndecodableBody(string coding, string acceptEncoding) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new UnsupportedContentCodingException(coding, acceptEncoding);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new UnsupportedContentCodingException(coding, acceptEncoding);

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>A request body in a Content-Encoding the hub does not decode; <see cref="BadRequestExceptionHandler"/> answers 415.</summary>
internal sealed class UnsupportedContentCodingException(string coding, string acceptEncoding)
    : Exception($"Content-Encoding '{coding}' is not accepted; send the body as it is, or coded with one of {acceptEncoding}.")
{
    /// <summary>The codings the hub decodes, for the answer's <c>Accept-Encoding</c> header.</summary>
    public string AcceptEncoding { get; } = acceptEncoding;
}
