using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.Storage;

/// <summary>The storage's problems that more than its own endpoints answer: GetCacheData reads the same entries.</summary>
internal static class StorageProblems
{
    public static ProblemHttpResult KeyNotFound(string key) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "No value stored under this key",
        detail: $"Nothing is stored under {key}.");
}
