using System.Net;
using IntegrationHub.Data;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace IntegrationHub.Tests.Hosting;

public sealed class HostingTests
{
    [Theory, AllDatabases]
    public async Task Start_OnEmptyDatabase_MigratesAndReportsHealthy(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateHttpClient();

        var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
        Assert.Equal(provider, hub.Services.GetRequiredService<HubConnectionString>().Provider);
    }

    [Fact]
    public async Task PostgresConnections_PrepareTheHubsStatements_UnlessTheConnectionStringSaysOtherwise()
    {
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using (var hub = HubHost.Start(database))
        {
            Assert.True(AutoPrepared(hub) > 0);
        }

        await using (var hub = HubHost.Start(database, new Dictionary<string, string?> { ["ConnectionStrings:Hub"] = database.ConnectionString + ";Max Auto Prepare=0" }))
        {
            Assert.Equal(0, AutoPrepared(hub));
        }

        static int AutoPrepared(HubHost hub) =>
            new NpgsqlConnectionStringBuilder(hub.Services.GetRequiredService<HubConnectionString>().Value).MaxAutoPrepare;
    }

    [Fact]
    public async Task PostgresConnections_CompileNoStatementJustInTime_UnlessTheConnectionStringSaysOtherwise()
    {
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using (var hub = HubHost.Start(database))
        {
            Assert.Equal("off", await JitAsync(hub));
        }

        await using (var hub = HubHost.Start(database, new Dictionary<string, string?> { ["ConnectionStrings:Hub"] = database.ConnectionString + ";Options=-c jit=on" }))
        {
            Assert.Equal("on", await JitAsync(hub));
        }

        static async Task<string?> JitAsync(HubHost hub)
        {
            await using var connection = new NpgsqlConnection(hub.Services.GetRequiredService<HubConnectionString>().Value);
            await connection.OpenAsync();
            await using var show = new NpgsqlCommand("SHOW jit", connection);
            return (string?)await show.ExecuteScalarAsync();
        }
    }

    [Theory, AllDatabases]
    public async Task UnknownRoute_Returns404ProblemDetails(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateHttpClient();

        var response = await client.GetAsync("/no/such/page");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("foo")]
    // .NET knows UTF-7 by these names but refuses to decode it: that was a 500.
    [InlineData("utf-7")]
    [InlineData("csUnicode11UTF7")]
    [InlineData("unicode-1-1-utf-7")]
    public async Task JsonBody_InACharsetTheHubCannotDecode_Returns415Problem(string charset)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateAdminClient();
        string[][] requests =
        [
            ["/api/v1/me/tokens", """{"name":"ci"}"""],
            ["/account/login", """{"email":"admin@hub.test","password":"x"}"""],
            ["/api/v1/scenarios", "{}"],
            ["/api/v1/setup", "{}"],
        ];

        foreach (var request in requests)
        {
            using var body = new StringContent(request[1]);
            body.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse($"application/json; charset={charset}");

            var response = await client.PostAsync(request[0], body);

            var problem = await IdentityTestClient.ReadProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
            Assert.Equal("Unsupported charset", problem.GetProperty("title").GetString());
            Assert.Contains($"'{charset}'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task JsonBody_WithAQuotedCharset_IsReadAsTheSameCharsetUnquoted()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateAdminClient();
        using var body = new StringContent(Scenarios.ScenarioTestData.ScenarioJson().ToJsonString());
        // RFC 9110: charset="utf-8" and charset=utf-8 are one parameter value.
        body.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/json; charset=\"utf-8\"");

        var response = await client.PostAsync("/api/v1/scenarios", body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task JsonEndpoint_WithAnEmptyContentType_Returns415TitledLikeAnyOtherUnsupportedMediaType()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateAdminClient();
        async Task<HttpResponseMessage> PostAsync(string contentType)
        {
            using var body = new ByteArrayContent("{}"u8.ToArray());
            Assert.True(body.Headers.TryAddWithoutValidation("Content-Type", contentType));
            return await client.PostAsync("/api/v1/scenarios", body);
        }

        var empty = await IdentityTestClient.ReadProblemAsync(await PostAsync(""), HttpStatusCode.UnsupportedMediaType);
        var text = await IdentityTestClient.ReadProblemAsync(await PostAsync("text/plain"), HttpStatusCode.UnsupportedMediaType);

        // Routing answers text/plain; the empty one gets past it and was refused by the body's binding, titled "Bad request".
        Assert.Equal("Unsupported Media Type", text.GetProperty("title").GetString());
        Assert.Equal("Unsupported Media Type", empty.GetProperty("title").GetString());
        Assert.Equal("The body must be sent as application/json; the request's Content-Type is empty.", empty.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task WrongMethod_Is405WithAllow_AndAnyMethodOnAnUnknownPath_Is404()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateAdminClient();

        var getOnPostOnly = await client.GetAsync("/api/v1/me/password");
        var postOnUnknown = await client.PostAsync("/api/v1/no-such-thing", null);
        var deleteOnUnknown = await client.DeleteAsync("/ExternalData/Nothing");
        var stylesheet = await client.GetAsync("/app.css");

        await IdentityTestClient.AssertProblemAsync(getOnPostOnly, HttpStatusCode.MethodNotAllowed);
        Assert.Equal(["POST"], getOnPostOnly.Content.Headers.Allow);
        await IdentityTestClient.AssertProblemAsync(postOnUnknown, HttpStatusCode.NotFound);
        await IdentityTestClient.AssertProblemAsync(deleteOnUnknown, HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, stylesheet.StatusCode);
    }

    [Fact]
    public async Task Browser_OnAnUnknownPageOrAStaleForm_GetsAPageWithAWayBack_WhereApiClientsGetProblems()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html,application/xhtml+xml");
        using var api = hub.CreateAdminClient();

        var unknown = await browser.GetAsync("/no/such/page");
        // A form the page no longer has (its entry deleted meanwhile): Blazor answered an empty 400.
        var stale = await browser.PostAsync("/storage?q=x", new FormUrlEncodedContent([new("_handler", "delete-gone")]));
        var apiUnknown = await api.GetAsync("/no/such/page");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("text/html", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Page not found", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, stale.StatusCode);
        var staleHtml = await stale.Content.ReadAsStringAsync();
        Assert.Contains("Nothing was done.", staleHtml, StringComparison.Ordinal);
        // Its way back is the page it was posted from, as it is now.
        Assert.Contains("<a class=\"btn btn-primary\" href=\"/storage?q=x\">Open the page again</a>", staleHtml, StringComparison.Ordinal);
        await IdentityTestClient.AssertProblemAsync(apiUnknown, HttpStatusCode.NotFound);
    }

    // {"name":"a","name":"b"} was saved as "b": a body that says two things at once is refused, naming the property.
    [Theory]
    [InlineData("/api/v1/scenarios", """{"name":"a","name":"b"}""", "$.name")]
    [InlineData("/api/v1/scenarios", """{"name":"a","Name":"b"}""", "$.Name")]
    [InlineData("/api/v1/scenarios", """{"name":"a","advanced":{"maxAttempts":1,"maxAttempts":2}}""", "$.advanced.maxAttempts")]
    [InlineData("/api/v1/me/tokens", """{"name":"ci","expiresInDays":5,"expiresInDays":6}""", "$.expiresInDays")]
    public async Task JsonBody_WithAPropertyGivenTwice_Returns400NamingIt(string path, string body, string property)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateAdminClient();

        var response = await client.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await IdentityTestClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.StartsWith(property + " (line 1, position ", detail, StringComparison.Ordinal);
        Assert.EndsWith("is given more than once; give each property once.", detail, StringComparison.Ordinal);
    }

    private static readonly string[] ProblemMembers = ["type", "title", "detail", "traceId"];

    // With an Accept that left out JSON, a malformed body was an empty 400 logged as an unhandled exception, a validation
    // problem lost its detail, and bare status codes were "Status Code: 401; Unauthorized" as text or an HTML page.
    [Theory]
    [InlineData("application/xml")]
    [InlineData("text/html")]
    public async Task ApiErrors_AreProblemJsonWithDetail_WhateverTheAccept(string accept)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var log = new LogCapture();
        hub.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().AddProvider(log);
        using var admin = hub.CreateAdminClient();
        admin.DefaultRequestHeaders.Accept.ParseAdd(accept);
        using var anonymous = hub.CreateHttpClient();
        anonymous.DefaultRequestHeaders.Accept.ParseAdd(accept);
        StringContent Json(string text) => new(text, System.Text.Encoding.UTF8, "application/json");

        (HttpResponseMessage Response, HttpStatusCode Status)[] answers =
        [
            (await admin.PostAsync("/api/v1/scenarios", Json("{\"name\":")), HttpStatusCode.BadRequest),
            (await admin.GetAsync("/api/v1/runs?page=abc"), HttpStatusCode.BadRequest),
            (await admin.PostAsync("/api/v1/scenarios", Json("{\"name\":\"\"}")), HttpStatusCode.BadRequest),
            (await anonymous.GetAsync("/api/v1/scenarios"), HttpStatusCode.Unauthorized),
            (await admin.GetAsync("/api/v1/no-such-thing"), HttpStatusCode.NotFound),
            (await admin.GetAsync($"/api/v1/scenarios/{Guid.NewGuid()}"), HttpStatusCode.NotFound),
            (await admin.GetAsync("/api/v1/me/password"), HttpStatusCode.MethodNotAllowed),
            (await admin.PostAsync("/api/v1/scenarios", new StringContent("x")), HttpStatusCode.UnsupportedMediaType),
            (await admin.PostAsync($"/ExternalData/Accept/{Guid.NewGuid()}", Json("{}")), HttpStatusCode.NotFound),
        ];

        var details = new List<string?>();
        foreach (var (response, status) in answers)
        {
            Assert.Equal(status, response.StatusCode);
            var problem = await ProblemAssert.ProblemAsync(response);
            Assert.All(ProblemMembers, member =>
                Assert.False(string.IsNullOrEmpty(problem.TryGetProperty(member, out var value) ? value.GetString() : null), $"{status} has no {member}"));
            details.Add(problem.GetProperty("detail").GetString());
        }
        Assert.StartsWith("name: ", details[2], StringComparison.Ordinal);
        // A client's malformed body is not the hub's failure.
        Assert.DoesNotContain(log.Entries, entry => entry.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/api/v1/me")]
    [InlineData("/account/login")]
    public async Task EveryAnswer_ForbidsFramingSniffingAndScriptsNotOfTheHub(string path)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        using var client = hub.CreateCookieClient(cookie);

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task OpenApiDocument_AndItsReferencePage_AreServed()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();

        var response = await client.GetAsync("/openapi/v1.json");
        // Scalar serves the page at /api/reference/ (the bare path redirects there).
        var reference = await client.GetAsync("/api/reference/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"openapi\"", document, StringComparison.Ordinal);
        Assert.Contains("/ExternalData/Accept/{scenarioId}", document, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
        Assert.Equal("text/html", reference.Content.Headers.ContentType?.MediaType);
        // A self-hosted hub's page calls no Scalar service: no fonts from fonts.scalar.com, no telemetry, no AI chat or
        // MCP, no toolbar offering Scalar's SDK generation and deployment.
        var page = await reference.Content.ReadAsStringAsync();
        Assert.Contains("\"withDefaultFonts\":false", page, StringComparison.Ordinal);
        Assert.Contains("\"telemetry\":false", page, StringComparison.Ordinal);
        Assert.Contains("\"showDeveloperTools\":\"never\"", page, StringComparison.Ordinal);
        Assert.Contains("\"agent\":{\"disabled\":true}", page, StringComparison.Ordinal);
        Assert.Contains("\"mcp\":{\"disabled\":true}", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheBearerScheme_AndTheErrorAnswersOfManagementOperations()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();

        using var document = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));

        var root = document.RootElement;
        Assert.Equal("bearer", root.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer").GetProperty("scheme").GetString());
        var paths = root.GetProperty("paths");
        (string Path, string Method, string[] Statuses)[] expected =
        [
            ("/api/v1/scenarios/{id}", "put", ["401", "403", "404", "409"]),
            ("/api/v1/scenarios/{id}/runs", "post", ["401", "403", "404", "429"]),
            ("/api/v1/runs", "get", ["401", "403"]),
            ("/api/v1/scenarios/{id}/storage", "get", ["401", "403", "404"]),
            ("/api/v1/users/{id}", "get", ["401", "403", "404"]),
            ("/api/v1/me/tokens/{id}/regenerate", "post", ["401", "403", "404", "409"]),
            ("/api/v1/workspaces", "post", ["401", "403", "409"]),
        ];
        foreach (var (path, method, statuses) in expected)
        {
            var operation = paths.GetProperty(path).GetProperty(method);
            Assert.True(operation.GetProperty("security")[0].TryGetProperty("Bearer", out _), $"{method} {path} names no bearer requirement");
            var responses = operation.GetProperty("responses");
            Assert.All(statuses, status => Assert.True(responses.TryGetProperty(status, out _), $"{method} {path} lacks {status}"));
        }
        // Sign-in takes no token.
        Assert.False(paths.GetProperty("/account/login").GetProperty("post").TryGetProperty("security", out _));
    }

    [Fact]
    public async Task OpenApiDocument_TypesEveryProperty_RequiresOnlyWhatTheHandlersRequire_AndListsTheRunFilters()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();

        using var document = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));

        var root = document.RootElement;
        var schemas = root.GetProperty("components").GetProperty("schemas");
        // Every string was {} (any value): the global StringWithoutNulConverter hid the type from the generator.
        var untyped = schemas.EnumerateObject()
            .SelectMany(schema => schema.Value.TryGetProperty("properties", out var properties)
                ? properties.EnumerateObject().Where(p => !p.Value.EnumerateObject().Any()).Select(p => $"{schema.Name}.{p.Name}")
                : [])
            .ToList();
        Assert.Empty(untyped);
        Assert.Equal("string", schemas.GetProperty("ScenarioResponse").GetProperty("properties").GetProperty("name").GetProperty("type").GetString());
        (string Schema, string[] Required)[] requests =
        [
            ("SetupRequest", ["code", "email", "password"]),
            ("LoginRequest", ["email", "password"]),
            ("CreateUserRequest", ["email", "role"]),
            ("CreateTokenRequest", ["name"]),
        ];
        foreach (var (schema, required) in requests)
        {
            Assert.Equal(required, schemas.GetProperty(schema).GetProperty("required").EnumerateArray().Select(r => r.GetString()!));
        }

        var paths = root.GetProperty("paths");
        var filters = paths.GetProperty("/api/v1/runs").GetProperty("get").GetProperty("parameters").EnumerateArray()
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("schema"));
        Assert.Equal(Enum.GetNames<IntegrationHub.Runs.RunStatus>(), filters["status"].GetProperty("enum").EnumerateArray().Select(v => v.GetString()!));
        Assert.Equal(Enum.GetNames<IntegrationHub.Runs.TriggerKind>(), filters["trigger"].GetProperty("enum").EnumerateArray().Select(v => v.GetString()!));
        var putStorage = paths.GetProperty("/api/v1/scenarios/{id}/storage").GetProperty("put").GetProperty("responses");
        Assert.True(putStorage.TryGetProperty("413", out _) && putStorage.TryGetProperty("415", out _), "PUT storage lacks 413 or 415");
    }
}
