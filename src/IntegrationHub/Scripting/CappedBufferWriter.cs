using System.Buffers;

namespace IntegrationHub.Scripting;

/// <summary>
/// A buffer that refuses to grow past <paramref name="limitBytes"/>. A script value written as JSON can be far larger
/// than the memory the script holds (one 16 MiB string referenced 75 times is 1.2 GB of JSON), and the script's memory
/// limit is not checked while the hub writes it. <see cref="ScriptJson.TryWrite"/> stops the walk near the limit;
/// this holds it to the byte.
/// </summary>
internal sealed class CappedBufferWriter(long limitBytes) : IBufferWriter<byte>
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public long LimitBytes => limitBytes;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.WrittenMemory;

    /// <exception cref="OutputTooLargeException">The written bytes would pass the limit.</exception>
    public void Advance(int count)
    {
        if (_buffer.WrittenCount + (long)count > limitBytes)
        {
            throw new OutputTooLargeException(limitBytes);
        }
        _buffer.Advance(count);
    }

    // Only what is written counts: a writer asks for room for the worst case of escaping, six bytes per character.
    public Memory<byte> GetMemory(int sizeHint = 0) => _buffer.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => _buffer.GetSpan(sizeHint);
}

/// <summary>A value's JSON passed its <see cref="CappedBufferWriter"/>'s limit.</summary>
internal sealed class OutputTooLargeException(long limitBytes) : Exception($"The JSON is larger than {limitBytes:N0} bytes.")
{
    public long LimitBytes => limitBytes;
}
