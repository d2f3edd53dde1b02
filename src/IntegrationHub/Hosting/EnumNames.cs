namespace IntegrationHub.Hosting;

/// <summary>
/// An enum value by one of its names, case-insensitive, as query strings and forms name them. Not Enum.TryParse: it
/// also takes numbers ("3" is Failed), which are no part of the API or the pages and would change meaning if the enum
/// were ever reordered.
/// </summary>
internal static class EnumNames
{
    public static TEnum? Parse<TEnum>(string? text)
        where TEnum : struct, Enum
    {
        var name = Enum.GetNames<TEnum>().FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
        return name is null ? null : Enum.Parse<TEnum>(name);
    }
}
