namespace IntegrationHub.Secrets;

/// <summary>
/// Replacing <c>Secrets:Key</c>: with the replaced key in <c>Secrets:PreviousKeys</c>, every start re-encrypts with the
/// current key what a previous key encrypted (<see cref="IReencryptsSecrets"/>), before the hub takes requests, and logs
/// how much it found. A start that found nothing left says so: then the previous keys can go (docs/configuration.md).
/// </summary>
internal static partial class SecretsRotation
{
    public static async Task ReencryptSecretsOfPreviousKeysAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        var previous = app.Services.GetRequiredService<PreviousSecretsKeys>();
        if (previous.Keys.Count == 0)
        {
            return;
        }
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SecretsRotation));
        var previousIds = string.Join(", ", previous.Keys.Select(k => k.Id));
        var currentId = app.Services.GetRequiredService<SecretsKey>().Id;
        var found = 0;
        foreach (var holder in app.Services.GetServices<IReencryptsSecrets>())
        {
            var count = await holder.ReencryptAsync(cancellationToken);
            found += count;
            if (count > 0)
            {
                LogReencrypted(logger, count, holder.Secrets, previousIds, currentId);
            }
        }
        if (found == 0)
        {
            LogNothingLeft(logger, previousIds, currentId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-encrypted {Count} {Secrets} from Secrets:PreviousKeys (key ids {PreviousIds}) with Secrets:Key (key id {CurrentId})")]
    private static partial void LogReencrypted(ILogger logger, int count, string secrets, string previousIds, string currentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Nothing in the database is encrypted with Secrets:PreviousKeys (key ids {PreviousIds}) any more: "
        + "every secret is encrypted with Secrets:Key (key id {CurrentId})")]
    private static partial void LogNothingLeft(ILogger logger, string previousIds, string currentId);
}
