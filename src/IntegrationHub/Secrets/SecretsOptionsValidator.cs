using IntegrationHub.Data;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Secrets;

/// <summary>
/// Checks <c>Secrets:Key</c> with the other settings, before the database is opened: a key that is not one, and on
/// PostgreSQL a missing one. The key is never part of a message.
/// </summary>
internal sealed class SecretsOptionsValidator(HubConnectionString database) : IValidateOptions<SecretsOptions>
{
    public const string MissingOnPostgres = "Secrets:Key is not set, and on PostgreSQL the hub makes no key of its own: every node "
        + "must encrypt and decrypt secrets with the same key. Make one, once, with `" + SecretsKey.HowToGenerate + "` and give every "
        + "node that value as Secrets__Key; keep a copy apart from the database backups: without it the encrypted header values "
        + "and sign-in cookies cannot be read.";

    public ValidateOptionsResult Validate(string? name, SecretsOptions options)
    {
        for (var i = 0; i < options.PreviousKeys.Length; i++)
        {
            // A blank entry is none: an environment variable left empty.
            if (!string.IsNullOrWhiteSpace(options.PreviousKeys[i]) && !SecretsKey.TryParse(options.PreviousKeys[i], out _, out var problem))
            {
                return ValidateOptionsResult.Fail($"Secrets:PreviousKeys:{i} is not a key: {problem}, and {SecretsKey.Expected}.");
            }
        }
        if (!string.IsNullOrWhiteSpace(options.Key))
        {
            return SecretsKey.TryParse(options.Key, out _, out var problem)
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"Secrets:Key is not a key: {problem}, and {SecretsKey.Expected}.");
        }
        return database.Provider == DatabaseProvider.Postgres ? ValidateOptionsResult.Fail(MissingOnPostgres) : ValidateOptionsResult.Success;
    }
}
