namespace IntegrationHub.Components;

/// <summary>What a page's form reads from its fields before a feature's rules see the values.</summary>
internal static class FormFields
{
    /// <summary>
    /// Reads a whole number typed into a form field; blank is null (the setting's default). Anything else outside
    /// <paramref name="min"/> to <paramref name="max"/>, letters or a number past <see cref="int"/>, adds an error for
    /// <paramref name="field"/>: bound straight to an <c>int?</c>, it would silently become null and save the default.
    /// </summary>
    public static int? WholeNumber(string? text, string field, int min, int max, Dictionary<string, string> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        if (int.TryParse(text.Trim(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var number)
            && number >= min && number <= max)
        {
            return number;
        }
        errors[field] = $"Enter a whole number from {min} to {max}.";
        return null;
    }
}
