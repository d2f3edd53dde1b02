namespace IntegrationHub.Secrets;

/// <summary>
/// A feature that keeps secrets in the database encrypted with <c>Secrets:Key</c>. When the key is replaced (the old one
/// in <c>Secrets:PreviousKeys</c>), <see cref="SecretsRotation"/> has each re-encrypt with the new key what an old key
/// encrypted, at start, so that the old keys can be removed afterwards.
/// </summary>
internal interface IReencryptsSecrets
{
    /// <summary>What it keeps, for the log: "header values of scenarios".</summary>
    string Secrets { get; }

    /// <summary>Re-encrypts with the current key what a previous key encrypted; how many it re-encrypted.</summary>
    Task<int> ReencryptAsync(CancellationToken cancellationToken);
}
