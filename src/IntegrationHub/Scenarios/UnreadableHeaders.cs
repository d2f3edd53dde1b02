using System.Collections;
using System.Diagnostics.CodeAnalysis;
using IntegrationHub.Connectors;

namespace IntegrationHub.Scenarios;

/// <summary>
/// A scenario's headers, as its runs get them, whose values do not decrypt with this hub's key. Their names are there;
/// reading a value throws a <see cref="ConnectorException"/> with <paramref name="message"/>, which fails the run
/// without a retry (another attempt with the same key fails alike) when, and only when, an HTTP source or target goes
/// to send them. So the run engine and the connectors need to know nothing of encryption.
/// </summary>
internal sealed class UnreadableHeaders(IReadOnlyDictionary<string, string> stored, string message) : IReadOnlyDictionary<string, string>
{
    public int Count => stored.Count;

    public IEnumerable<string> Keys => stored.Keys;

    public IEnumerable<string> Values => throw Unreadable();

    public string this[string key] => throw Unreadable();

    public bool ContainsKey(string key) => stored.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value) => throw Unreadable();

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => throw Unreadable();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private ConnectorException Unreadable() => new(message, retryable: false);
}
