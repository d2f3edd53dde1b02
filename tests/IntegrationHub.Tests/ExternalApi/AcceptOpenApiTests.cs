using System.Text.Json;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.ExternalApi;

/// <summary>What a client generated from <c>/openapi/v1.json</c> learns about <c>/ExternalData/Accept</c>.</summary>
public sealed class AcceptOpenApiTests
{
    // The document does not depend on the database.
    [Fact]
    public async Task AcceptPost_DescribesEveryAcceptedContentType_AsAnOptionalBody()
    {
        var post = (await AcceptPathAsync()).GetProperty("post");

        var body = post.GetProperty("requestBody");
        Assert.False(body.TryGetProperty("required", out var required) && required.GetBoolean());
        Assert.Equal(
            ["application/json", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data", "text/xml"],
            body.GetProperty("content").EnumerateObject().Select(c => c.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AcceptGetAndPost_DescribeWaitIdempotencyKeyTheRunIdHeaderAndEveryError()
    {
        var path = await AcceptPathAsync();
        var operations = new (string Method, string[] Errors)[]
        {
            ("get", ["400", "401", "403", "404", "409", "429", "503"]),
            ("post", ["400", "401", "403", "404", "409", "413", "415", "429", "503"]),
        };

        foreach (var (method, errors) in operations)
        {
            var operation = path.GetProperty(method);
            var parameters = operation.GetProperty("parameters").EnumerateArray()
                .Select(p => (p.GetProperty("name").GetString(), p.GetProperty("in").GetString())).ToList();
            Assert.Contains(("wait", "query"), parameters);
            Assert.Contains(("Idempotency-Key", "header"), parameters);
            var responses = operation.GetProperty("responses");
            var ok = responses.GetProperty("200");
            Assert.Contains("empty", ok.GetProperty("description").GetString(), StringComparison.OrdinalIgnoreCase);
            Assert.True(ok.GetProperty("headers").TryGetProperty("X-Run-Id", out _));
            Assert.True(responses.GetProperty("202").GetProperty("headers").TryGetProperty("X-Run-Id", out _));
            Assert.Contains("Location", operation.Headers("202"));
            Assert.Contains("WWW-Authenticate", operation.Headers("401"));
            Assert.Contains("Retry-After", operation.Headers("429"));
            Assert.Contains("Retry-After", operation.Headers("503"));
            foreach (var status in errors)
            {
                Assert.True(responses.TryGetProperty(status, out var error), $"{method} does not describe {status}");
                Assert.True(error.GetProperty("content").TryGetProperty("application/problem+json", out _), $"{method} {status} is not a problem");
            }
        }
    }

    [Fact]
    public async Task Accept200_DeclaresNoContent_And202TheRunResult()
    {
        var path = await AcceptPathAsync();

        foreach (var method in new[] { "get", "post" })
        {
            var responses = path.GetProperty(method).GetProperty("responses");
            // Without wait the 200 has no body and no Content-Type: declared as JSON, a generated client tried to parse it.
            Assert.False(responses.GetProperty("200").TryGetProperty("content", out _), $"{method} 200 declares a body");
            Assert.Contains("wait", responses.GetProperty("200").GetProperty("description").GetString(), StringComparison.Ordinal);
            Assert.Equal(
                "#/components/schemas/RunResultResponse",
                responses.GetProperty("202").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        }
    }

    [Fact]
    public async Task ExternalOperations_TakeTheBearerTokenOrTheCookieAsOptional_AndGetCacheDataDescribesItsAnswers()
    {
        var paths = (await DocumentAsync()).GetProperty("paths");
        var cacheData = paths.GetProperty("/ExternalData/GetCacheData/{scenarioId}").GetProperty("get");
        var operations = new[] { paths.GetProperty("/ExternalData/Accept/{scenarioId}").GetProperty("get"), paths.GetProperty("/ExternalData/Accept/{scenarioId}").GetProperty("post"), cacheData };

        foreach (var operation in operations)
        {
            // The token, the cookie, or none where the scenario allows anonymous callers: the reference page sends the token it is given.
            var security = operation.GetProperty("security").EnumerateArray().ToList();
            Assert.Equal(3, security.Count);
            Assert.Equal(["Bearer"], security[0].EnumerateObject().Select(s => s.Name));
            Assert.Equal(["Cookie"], security[1].EnumerateObject().Select(s => s.Name));
            Assert.Empty(security[2].EnumerateObject());
        }
        var responses = cacheData.GetProperty("responses");
        foreach (var status in new[] { "400", "401", "403", "404" })
        {
            Assert.True(responses.TryGetProperty(status, out var error), $"GetCacheData does not describe {status}");
            Assert.True(error.GetProperty("content").TryGetProperty("application/problem+json", out _));
        }
        // With keyJson the answer is the stored value itself, not a page.
        var ok = responses.GetProperty("200");
        Assert.Contains("keyJson", ok.GetProperty("description").GetString(), StringComparison.Ordinal);
        var shapes = ok.GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("anyOf").EnumerateArray().ToList();
        Assert.Equal("#/components/schemas/CacheDataPage", shapes[0].GetProperty("$ref").GetString());
        Assert.False(shapes[1].TryGetProperty("type", out _));
    }

    [Fact]
    public async Task Document_SaysWhatTheApiDoes_NotWhatASeedDocumentSaid()
    {
        var document = (await DocumentAsync()).GetRawText();

        Assert.DoesNotContain("seed", document, StringComparison.OrdinalIgnoreCase);
    }

    internal static async Task<JsonElement> AcceptPathAsync() =>
        (await DocumentAsync()).GetProperty("paths").GetProperty("/ExternalData/Accept/{scenarioId}").Clone();

    private static Task<JsonElement> DocumentAsync() => OpenApiTestDocument.FetchAsync();
}
