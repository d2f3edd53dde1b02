namespace IntegrationHub.Scripting;

/// <summary>Shortens what a script wrote (a log line, an error, a value in a message) to a size the hub keeps.</summary>
internal static class TextCut
{
    /// <summary>
    /// <paramref name="text"/> when it has at most <paramref name="maxChars"/> characters, else its start followed by
    /// <paramref name="marker"/>; never half of a surrogate pair, which no database column or JSON string may hold.
    /// </summary>
    public static string Shorten(string text, int maxChars, string marker)
    {
        if (text.Length <= maxChars)
        {
            return text;
        }
        var keep = maxChars > 0 && char.IsHighSurrogate(text[maxChars - 1]) ? maxChars - 1 : maxChars;
        return string.Concat(text.AsSpan(0, keep), marker);
    }
}
