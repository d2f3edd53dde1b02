using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace IntegrationHub.Components;

/// <summary>
/// Turns the answer of a feature's endpoint handler into what a page shows: the errors by field, beside the inputs.
/// Pages call the same handlers the API does, so a rule is written once, in the feature.
/// </summary>
internal static class FormErrors
{
    /// <summary>The first message per field of a validation problem, keyed as the API keys it (e.g. <c>advanced.maxAttempts</c>).</summary>
    public static Dictionary<string, string> From(ValidationProblem problem) =>
        problem.ProblemDetails.Errors.ToDictionary(e => e.Key, e => e.Value.FirstOrDefault() ?? "Not valid.", StringComparer.Ordinal);

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

    /// <summary>The detail (or title) of a problem, for a message at the top of the form.</summary>
    public static string Message(ProblemDetails problem) => problem.Detail ?? problem.Title ?? "The request was refused.";

    /// <summary>Reads an integer member of a problem extension (such as the script error's line), if present.</summary>
    public static int? ExtensionInt(ProblemDetails problem, string extension, string member)
    {
        if (!problem.Extensions.TryGetValue(extension, out var value) || value is null)
        {
            return null;
        }
        var element = value is JsonElement json ? json : JsonSerializer.SerializeToElement(value);
        return element.ValueKind == JsonValueKind.Object && element.TryGetProperty(member, out var m) && m.TryGetInt32(out var i) ? i : null;
    }
}
