namespace IntegrationHub.Secrets;

/// <summary>The key the hub encrypts its secrets with at rest. Section <c>Secrets</c>.</summary>
internal sealed class SecretsOptions
{
    public const string SectionName = "Secrets";

    /// <summary>
    /// The master key: the base64 of 32 random bytes (44 characters; <c>openssl rand -base64 32</c>), the same on every
    /// node. It encrypts the Data Protection key ring (sign-in cookies) and the header values of HTTP sources and targets.
    /// Default none: on SQLite the hub then keeps a key of its own in a file beside the database file, made on first
    /// start (<see cref="SecretsKeyFile"/>); on PostgreSQL it must be set, as every node needs the same one.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>
    /// Keys <see cref="Key"/> replaced, while what they encrypted is re-encrypted with it (<see cref="SecretsRotation"/>):
    /// they decrypt and encrypt nothing new. <c>Secrets__PreviousKeys__0</c>, <c>__1</c>, ... Default none.
    /// </summary>
    public string[] PreviousKeys { get; set; } = [];
}
