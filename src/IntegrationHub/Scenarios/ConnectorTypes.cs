namespace IntegrationHub.Scenarios;

/// <summary>
/// The connector names a scenario's source and target may use. The one list the API validates against;
/// add a connector here and in Connectors/ together.
/// </summary>
public static class ConnectorTypes
{
    public const string None = "none";
    public const string Http = "http";
    public const string Storage = "storage";

    public static IReadOnlyList<string> Sources { get; } = [None, Http, Storage];

    public static IReadOnlyList<string> Targets { get; } = [None, Http, Storage];

    /// <summary>The canonical (lower-case) name of <paramref name="type"/> in <paramref name="known"/>, or null.</summary>
    public static string? Normalize(string? type, IReadOnlyList<string> known)
    {
        if (string.IsNullOrWhiteSpace(type))
        {
            return null;
        }
        foreach (var name in known)
        {
            if (string.Equals(name, type.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return name;
            }
        }
        return null;
    }
}
