namespace IntegrationHub.Secrets;

/// <summary>
/// The keys of <c>Secrets:PreviousKeys</c>, which <c>Secrets:Key</c> replaced: what they encrypted is still read, and
/// re-encrypted with the current key at start (<see cref="SecretsRotation"/>), so that a key can be replaced without
/// losing a header value or a sign-in. They encrypt nothing new.
/// </summary>
internal sealed class PreviousSecretsKeys
{
    public PreviousSecretsKeys(SecretsKey current, IEnumerable<SecretsKey> previous) =>
        // A key listed as its own predecessor (the same value in both settings) has nothing to hand over.
        Keys = [.. previous.Where(k => k.Id != current.Id).DistinctBy(k => k.Id)];

    public IReadOnlyList<SecretsKey> Keys { get; }

    /// <summary>The previous key whose fingerprint is <paramref name="id"/>, if one is.</summary>
    public SecretsKey? Find(string id) => Keys.FirstOrDefault(k => k.Id == id);
}
