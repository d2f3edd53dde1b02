using System.Net.Http.Json;
using System.Text.Json;

namespace IntegrationHub.Tests.Infrastructure;

/// <summary>Reads and checks RFC 7807 problem answers.</summary>
internal static class ProblemAssert
{
    public const string ProblemJson = "application/problem+json";

    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Asserts an RFC 7807 problem with all four members a client reads: type, title, status and detail.</summary>
    public static async Task AssertCompleteProblemAsync(HttpResponseMessage response)
    {
        var problem = await ProblemAsync(response);
        Assert.False(string.IsNullOrWhiteSpace(problem.TryGetProperty("type", out var type) ? type.GetString() : null), $"{response.StatusCode} has no type");
        Assert.False(string.IsNullOrWhiteSpace(problem.TryGetProperty("title", out var title) ? title.GetString() : null), $"{response.StatusCode} has no title");
        Assert.Equal((int)response.StatusCode, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.TryGetProperty("detail", out var detail) ? detail.GetString() : null), $"{response.StatusCode} has no detail");
    }
}
