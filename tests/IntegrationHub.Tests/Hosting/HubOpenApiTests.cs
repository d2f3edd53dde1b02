using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Hosting;

/// <summary>What a client generated from <c>/openapi/v1.json</c> learns about the answers every operation shares, and the schemas.</summary>
public sealed class HubOpenApiTests
{
    [Fact]
    public async Task NullableJsonValues_AreOneSchemaThatNullMatchesOnce()
    {
        var document = await OpenApiTestDocument.FetchAsync();

        (string Schema, string Property)[] nullable = [("RunDetails", "result"), ("RunDetails", "payload"), ("RunResultResponse", "result")];
        foreach (var (schema, property) in nullable)
        {
            var value = document.Schema(schema).GetProperty("properties").GetProperty(property);
            // oneOf [null, {}] failed for null, which matches both; {} takes any JSON value, null included, once.
            Assert.False(value.TryGetProperty("oneOf", out _), $"{schema}.{property} is a oneOf");
            Assert.False(value.TryGetProperty("$ref", out _), $"{schema}.{property} is a $ref");
            Assert.False(value.TryGetProperty("type", out _), $"{schema}.{property} takes only some JSON types");
        }
        // No oneOf anywhere lets null match a branch that takes any value.
        Assert.DoesNotContain("\"oneOf\":[{\"type\":\"null\"},{}]", JsonSerializer.Serialize(document), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListsAndMapsOfStrings_SayTheirItemsAreStrings()
    {
        var document = await OpenApiTestDocument.FetchAsync();

        var target = document.Schema("TargetDto").GetProperty("properties");
        Assert.Equal("string", target.GetProperty("keyFields").GetProperty("items").GetProperty("type").GetString());
        Assert.Equal("string", target.GetProperty("headers").GetProperty("additionalProperties").GetProperty("type").GetString());
        var source = document.Schema("SourceDto").GetProperty("properties");
        Assert.Equal("string", source.GetProperty("headers").GetProperty("additionalProperties").GetProperty("type").GetString());
    }

    [Fact]
    public async Task EveryOperation_Describes503WithRetryAfter_AndEveryBody413And415()
    {
        var document = await OpenApiTestDocument.FetchAsync();

        foreach (var (name, operation) in document.Operations())
        {
            var responses = operation.GetProperty("responses");
            Assert.True(responses.TryGetProperty("503", out _), $"{name} lacks 503");
            Assert.Contains("Retry-After", operation.Headers("503"));
            if (operation.TryGetProperty("requestBody", out _))
            {
                Assert.True(responses.TryGetProperty("413", out _), $"{name} reads a body but lacks 413");
                Assert.True(responses.TryGetProperty("415", out _), $"{name} reads a body but lacks 415");
            }
        }
        Assert.True(document.Operation("post", "/api/v1/workspaces").GetProperty("responses").TryGetProperty("415", out _));
    }

    [Fact]
    public async Task EveryOperationWithAQueryValueThatIsNotText_Describes400()
    {
        var document = await OpenApiTestDocument.FetchAsync();

        foreach (var (name, operation) in document.Operations())
        {
            // A uuid or a number that does not parse is a 400 before the handler runs (GET /api/v1/users?workspaceId=x).
            var parsed = operation.TryGetProperty("parameters", out var parameters)
                && parameters.EnumerateArray().Any(p => p.GetProperty("in").GetString() == "query" && !IsPlainText(p.GetProperty("schema")));
            if (parsed)
            {
                Assert.True(operation.GetProperty("responses").TryGetProperty("400", out var badRequest), $"{name} lacks 400");
                Assert.True(badRequest.GetProperty("content").TryGetProperty("application/problem+json", out _), $"{name} 400 is not a problem");
            }
        }
        var listUsers = document.Operation("get", "/api/v1/users").GetProperty("responses").GetProperty("400");
        Assert.Contains("workspaceId", listUsers.GetProperty("description").GetString(), StringComparison.Ordinal);
        // Lists without query parameters take any query string and never answer 400.
        foreach (var path in new[] { "/api/v1/me/tokens", "/api/v1/workspaces" })
        {
            Assert.False(document.Operation("get", path).GetProperty("responses").TryGetProperty("400", out _), $"GET {path} describes 400");
        }
    }

    [Fact]
    public async Task CookieScheme_NamesTheSignInCookie_SaysCrossSiteRequestsAreRefused_AndIsAnAlternativeWhereverBearerIs()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var cookie = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Cookie");
        Assert.Equal("apiKey", cookie.GetProperty("type").GetString());
        Assert.Equal("cookie", cookie.GetProperty("in").GetString());
        var description = cookie.GetProperty("description").GetString();
        foreach (var part in new[] { "403", "Sec-Fetch-Site: cross-site or same-site", "Origin", "null", "/api/v1", "/ExternalData/Accept" })
        {
            Assert.Contains(part, description, StringComparison.Ordinal);
        }
        // The name is the cookie a sign-in sets, and that cookie authenticates the API.
        var name = cookie.GetProperty("name").GetString();
        var login = await client.PostAsJsonAsync("/account/login", new LoginRequest(HubHost.AdminEmail, HubHost.AdminPassword, null), TestJson.Options);
        var set = Assert.Single(login.Headers.GetValues("Set-Cookie"), v => v.StartsWith($"{name}=", StringComparison.Ordinal));
        using var browser = hub.CreateHttpClient();
        browser.DefaultRequestHeaders.Add("Cookie", set.Split(';')[0]);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/me")).StatusCode);

        foreach (var (operationName, operation) in document.Operations())
        {
            if (!operation.TryGetProperty("security", out var security))
            {
                continue;
            }
            // Either one will do: two requirements, not one naming both.
            var requirements = security.EnumerateArray().Select(r => string.Join("+", r.EnumerateObject().Select(s => s.Name))).ToList();
            if (requirements.Contains("Bearer"))
            {
                Assert.True(requirements.Contains("Cookie"), $"{operationName} takes a token but not the cookie");
            }
            Assert.DoesNotContain(requirements, r => r.Contains('+', StringComparison.Ordinal));
        }
        Assert.Equal(["Bearer", "Cookie"], document.Operation("get", "/api/v1/users").GetProperty("security").EnumerateArray()
            .SelectMany(r => r.EnumerateObject().Select(s => s.Name)));
    }

    [Fact]
    public async Task ManagementProblems_HaveTheProblemDetailsSchema_AndTheirHeaders()
    {
        var document = await OpenApiTestDocument.FetchAsync();

        Assert.True(document.GetProperty("components").GetProperty("schemas").TryGetProperty("ProblemDetails", out _));
        foreach (var (name, operation) in document.Operations())
        {
            foreach (var response in operation.GetProperty("responses").EnumerateObject())
            {
                if (response.Value.TryGetProperty("content", out var content) && content.TryGetProperty("application/problem+json", out var problem))
                {
                    Assert.True(problem.TryGetProperty("schema", out var schema), $"{name} {response.Name} has no schema");
                    Assert.StartsWith("#/components/schemas/", schema.GetProperty("$ref").GetString(), StringComparison.Ordinal);
                }
            }
        }
        var getScenario = document.Operation("get", "/api/v1/scenarios/{id}");
        foreach (var status in new[] { "401", "403", "404" })
        {
            Assert.Equal("#/components/schemas/ProblemDetails", getScenario.GetProperty("responses").GetProperty(status)
                .GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString());
        }
        Assert.Contains("WWW-Authenticate", getScenario.Headers("401"));
        Assert.Contains("Location", document.Operation("post", "/api/v1/scenarios").Headers("201"));
        Assert.Contains("Location", document.Operation("post", "/api/v1/me/tokens").Headers("201"));
        var runNow = document.Operation("post", "/api/v1/scenarios/{id}/runs");
        Assert.Contains("Location", runNow.Headers("202"));
        Assert.Contains("Retry-After", runNow.Headers("429"));
        Assert.Contains("Retry-After", document.Operation("post", "/account/login").Headers("429"));
    }

    [Fact]
    public async Task PagingParameters_StateTheRangeTheListsTake()
    {
        var document = await OpenApiTestDocument.FetchAsync();

        (string Path, int MaxPageSize)[] lists =
        [
            ("/api/v1/scenarios", 200),
            ("/api/v1/runs", 500),
            ("/api/v1/scenarios/{id}/storage", 200),
            ("/ExternalData/GetCacheData/{scenarioId}", 200),
        ];
        foreach (var (path, maxPageSize) in lists)
        {
            var parameters = document.Operation("get", path).GetProperty("parameters").EnumerateArray()
                .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("schema"));
            Assert.Equal(1, parameters["page"].GetProperty("minimum").GetInt32());
            Assert.Equal(1, parameters["pageSize"].GetProperty("minimum").GetInt32());
            Assert.Equal(maxPageSize, parameters["pageSize"].GetProperty("maximum").GetInt32());
            Assert.Equal(50, parameters["pageSize"].GetProperty("default").GetInt32());
        }
    }

    /// <summary>A schema any text matches: a string without a format or a list of values.</summary>
    private static bool IsPlainText(JsonElement schema) =>
        schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "string"
        && !schema.TryGetProperty("format", out _) && !schema.TryGetProperty("enum", out _);
}
