namespace IntegrationHub.Hosting;

/// <summary>
/// Reads a whole stream, never past a limit: the bytes are counted as they arrive, so a body without a length, or one
/// decompressed as it is read (whose Content-Length counts the compressed bytes), is stopped at the limit too.
/// </summary>
internal static class BoundedRead
{
    /// <summary>The stream's bytes; null as soon as they pass <paramref name="maxBytes"/> (the rest is not read).</summary>
    public static async Task<byte[]?> ReadAtMostAsync(Stream stream, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81_920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
