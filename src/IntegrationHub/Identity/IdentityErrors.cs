namespace IntegrationHub.Identity;

/// <summary>An <see cref="IdentityError"/> as a page shows it: messages beside the fields, or one message on top.</summary>
internal static class IdentityErrors
{
    public static Dictionary<string, string> Fields(IdentityError error) =>
        error.Errors?.ToDictionary(e => e.Key, e => e.Value.FirstOrDefault() ?? error.Detail, StringComparer.Ordinal)
        ?? new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The message for the top of the form, or null when every message sits beside a field.</summary>
    public static string? Summary(IdentityError error) => error.Errors is { Count: > 0 } ? null : error.Detail;
}
