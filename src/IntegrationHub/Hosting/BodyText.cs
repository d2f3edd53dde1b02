using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.Hosting;

/// <summary>
/// The charsets a body may come in (a trigger's, a stored value's, an HTTP source's answer), and its strict decoding
/// into text: a byte that is not valid in the charset is refused (<see cref="BodyTextProblems"/>), because replacing it
/// with U+FFFD would store (and run) something the sender never sent.
/// </summary>
internal static class BodyText
{
    public const int Utf8CodePage = 65001;
    private const int Utf16CodePage = 1200, Utf16BigEndianCodePage = 1201, Utf32CodePage = 12000, Utf32BigEndianCodePage = 12001;

    public static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>What .NET decodes without its code pages: UTF-8, UTF-16, UTF-32 (either byte order), US-ASCII and ISO-8859-1.</summary>
    private static readonly FrozenDictionary<int, Encoding> Supported =
        new[] { Utf16CodePage, Utf16BigEndianCodePage, Utf32CodePage, Utf32BigEndianCodePage, 20127, 28591 }
            .Select(Strict)
            .Append(Utf8)
            .ToFrozenDictionary(e => e.CodePage);

    /// <summary>The legacy code pages asked for so far (a few of .NET's ~100), null for those the hub does not read.</summary>
    private static readonly ConcurrentDictionary<int, Encoding?> LegacyCodePages = new();

    /// <summary>
    /// UTF-16 and UTF-32 by a name that does not say the byte order ("utf-16", "unicode", "utf-32"): a byte order mark
    /// picks it, else little-endian. Instances of their own, told apart by reference from those of "utf-16le" and
    /// "utf-32le", which have the same code page but whose order a mark may not change.
    /// </summary>
    private static readonly Encoding Utf16ByMark = Strict(Utf16CodePage), Utf32ByMark = Strict(Utf32CodePage);

    /// <summary>Byte order marks, the longer first where one begins with another (UTF-32LE with UTF-16LE's).</summary>
    private static readonly (byte[] Mark, int CodePage)[] ByteOrderMarks =
    [
        ([0xEF, 0xBB, 0xBF], Utf8CodePage),
        ([0xFF, 0xFE, 0x00, 0x00], Utf32CodePage),
        ([0x00, 0x00, 0xFE, 0xFF], Utf32BigEndianCodePage),
        ([0xFF, 0xFE], Utf16CodePage),
        ([0xFE, 0xFF], Utf16BigEndianCodePage),
    ];

    /// <summary>The charset parameter of <paramref name="mediaType"/>, unquoted; empty when there is none.</summary>
    public static StringSegment CharsetOf(MediaTypeHeaderValue? mediaType) =>
        mediaType is null ? StringSegment.Empty : HeaderUtilities.RemoveQuotes(mediaType.Charset);

    /// <summary>The strict encoding <paramref name="charset"/> names, or null when the hub does not support it.</summary>
    public static Encoding? Find(StringSegment charset)
    {
        // The common case first, without a lookup; "utf8" is a frequent misspelling that WHATWG accepts too.
        if (charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            return Utf8;
        }
        return FindUnicodeOrLatin1(charset) ?? FindLegacyCodePage(charset.Value!);
    }

    private static Encoding? FindUnicodeOrLatin1(StringSegment charset)
    {
        try
        {
            var encoding = Supported.GetValueOrDefault(Encoding.GetEncoding(charset.Value!).CodePage);
            // .NET maps names of either kind to one code page; only a name ending in -LE states little-endian.
            return encoding?.CodePage is Utf16CodePage or Utf32CodePage && !charset.EndsWith("le", StringComparison.OrdinalIgnoreCase)
                ? (encoding.CodePage == Utf16CodePage ? Utf16ByMark : Utf32ByMark)
                : encoding;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            // Unknown to .NET without its code pages, or known but switched off (UTF-7).
            return null;
        }
    }

    /// <summary>
    /// A legacy charset older business systems still send (windows-1252, ISO-8859-15, Shift_JIS, GB18030...), from
    /// .NET's code pages; only those that write ASCII as ASCII, so EBCDIC (IBM037...) is not one: a form's <c>=</c> and
    /// <c>&amp;</c> and an XML declaration would not be the bytes every other charset makes them.
    /// </summary>
    private static Encoding? FindLegacyCodePage(string charset) =>
        CodePagesEncodingProvider.Instance.GetEncoding(charset)?.CodePage is { } codePage
            ? LegacyCodePages.GetOrAdd(codePage, static codePage =>
            {
                var strict = CodePagesEncodingProvider.Instance.GetEncoding(codePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback)!;
                return ReadsAsciiAsAscii(strict) ? strict : null;
            })
            : null;

    private static bool ReadsAsciiAsAscii(Encoding encoding)
    {
        byte[] ascii = [(byte)'\t', (byte)'\n', (byte)'\r', .. Enumerable.Range(0x20, 0x7F - 0x20).Select(b => (byte)b)];
        try
        {
            return encoding.GetString(ascii) == Encoding.ASCII.GetString(ascii);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>
    /// The encoding a byte order mark at the start of <paramref name="body"/> names, and the mark's length; only marks of
    /// the encodings of <paramref name="family"/> (a code page, see <see cref="Family"/>) when one is given.
    /// </summary>
    public static (Encoding? Encoding, int Length) ByteOrderMark(ReadOnlySequence<byte> body, int? family = null)
    {
        var prefix = Start(body, stackalloc byte[4]);
        foreach (var (mark, codePage) in ByteOrderMarks)
        {
            // Within its family, so that a UTF-16LE body starting with U+FEFF U+0000 is not taken for UTF-32LE's mark.
            if ((family is null || Family(codePage) == family) && prefix.StartsWith(mark))
            {
                return (Supported[codePage], mark.Length);
            }
        }
        return (null, 0);
    }

    /// <summary>
    /// Decodes <paramref name="body"/> as <paramref name="encoding"/>, leaving out a leading byte order mark of it. For
    /// UTF-16 and UTF-32 named without -LE or -BE (<see cref="Find"/>), the mark picks the byte order; without one
    /// they are little-endian, as .NET and Windows write them. False when the body is not valid in that encoding, or
    /// starts with the mark of the other byte order than its charset names, with <paramref name="error"/> saying so and
    /// where ("not valid UTF-8 at byte offset 9", for a sentence's end).
    /// </summary>
    public static bool TryDecode(ReadOnlySequence<byte> body, Encoding encoding, out DecodedBody decoded, out string error)
    {
        var (marked, markLength) = ByteOrderMark(body, Family(encoding.CodePage));
        if (marked is not null)
        {
            if (ReferenceEquals(encoding, Utf16ByMark) || ReferenceEquals(encoding, Utf32ByMark))
            {
                encoding = marked;
            }
            else if (marked.CodePage != encoding.CodePage)
            {
                // Decoded in the named order, the mark would be U+FFFE and every character after it byte-swapped: the
                // sender got the charset or the bytes wrong, and which one no one can tell.
                decoded = default;
                error = $"marked {ByteOrderName(marked.CodePage)} by its byte order mark, while its charset says {ByteOrderName(encoding.CodePage)}";
                return false;
            }
            body = body.Slice(markLength);
        }

        try
        {
            decoded = new(encoding.GetString(body), encoding, body);
            error = "";
            return true;
        }
        catch (DecoderFallbackException)
        {
            decoded = default;
            error = $"not valid {NameOf(encoding)} at byte offset {markLength + InvalidOffset(body.ToArray(), encoding)}";
            return false;
        }
    }

    /// <summary>
    /// A JSON body as UTF-8, decoded strictly by the charset <paramref name="mediaType"/> names (UTF-8 when none),
    /// without a byte order mark: a byte not valid in it would otherwise become U+FFFD, silently.
    /// </summary>
    public static Utf8Body DecodeToUtf8(byte[] body, MediaTypeHeaderValue? mediaType)
    {
        var charset = CharsetOf(mediaType);
        if ((charset.Length == 0 ? Utf8 : Find(charset)) is not { } encoding)
        {
            return new(default, UnsupportedCharset: charset.Value);
        }
        if (!TryDecode(new ReadOnlySequence<byte>(body), encoding, out var text, out var error))
        {
            return new(default, InvalidText: error);
        }
        return new(text.Encoding.CodePage == Utf8CodePage ? text.Bytes.First : Encoding.UTF8.GetBytes(text.Text));
    }

    /// <summary>The first bytes of <paramref name="body"/>, as many as <paramref name="buffer"/> holds, copied into it.</summary>
    public static ReadOnlySpan<byte> Start(ReadOnlySequence<byte> body, Span<byte> buffer)
    {
        var start = buffer[..(int)Math.Min(body.Length, buffer.Length)];
        body.Slice(0, start.Length).CopyTo(start);
        return start;
    }

    /// <summary>
    /// Whether <paramref name="encoding"/> writes ASCII as ASCII, one byte each, as a urlencoded form needs: every charset
    /// the hub reads does (UTF-8, US-ASCII, ISO-8859-1, the legacy code pages), but UTF-16 and UTF-32.
    /// </summary>
    public static bool IsAsciiCompatible(Encoding encoding) => Family(encoding.CodePage) is not (Utf16CodePage or Utf32CodePage);

    /// <summary>The name a problem uses for <paramref name="encoding"/>: its IANA name, as in <c>UTF-8</c> or <c>ISO-8859-1</c>.</summary>
    public static string NameOf(Encoding encoding) => encoding.WebName.ToUpperInvariant();

    private static Encoding Strict(int codePage) =>
        Encoding.GetEncoding(codePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);

    private static string ByteOrderName(int codePage) => codePage switch
    {
        Utf16CodePage => "UTF-16LE",
        Utf16BigEndianCodePage => "UTF-16BE",
        Utf32CodePage => "UTF-32LE",
        Utf32BigEndianCodePage => "UTF-32BE",
        _ => Supported[codePage].WebName.ToUpperInvariant(),
    };

    private static int Family(int codePage) => codePage switch
    {
        Utf16CodePage or Utf16BigEndianCodePage => Utf16CodePage,
        Utf32CodePage or Utf32BigEndianCodePage => Utf32CodePage,
        _ => codePage,
    };

    // Only on the error path: one array, so the exception's index counts from the body's start.
    private static long InvalidOffset(byte[] body, Encoding encoding)
    {
        try
        {
            encoding.GetCharCount(body);
            return 0;
        }
        catch (DecoderFallbackException ex)
        {
            return Math.Max(ex.Index, 0);
        }
    }
}

/// <summary>
/// What <see cref="BodyText.DecodeToUtf8"/> made of a body: its UTF-8 bytes, or the charset the hub does not decode,
/// or what is wrong with the bytes (<see cref="BodyText.TryDecode"/>'s error).
/// </summary>
internal readonly record struct Utf8Body(ReadOnlyMemory<byte> Bytes, string? UnsupportedCharset = null, string? InvalidText = null);

/// <summary>A body as text, the encoding it was in, and its bytes without the byte order mark.</summary>
internal readonly record struct DecodedBody(string Text, Encoding Encoding, ReadOnlySequence<byte> Bytes);
