using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.ExternalApi;
using IntegrationHub.Identity;
using IntegrationHub.Runs;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using IntegrationHub.Tests.Scenarios;
using Microsoft.EntityFrameworkCore;
using Npgsql;

using static IntegrationHub.Tests.ExternalApi.ExternalApiTestData;
using static IntegrationHub.Tests.Infrastructure.ProblemAssert;

namespace IntegrationHub.Tests.ExternalApi;

public sealed class ExternalApiEndpointsTests
{
    [Theory, AllDatabases]
    public async Task AcceptGet_WithToken_Returns200EmptyBodyAndQueuesExternalGetRun(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var response = await client.GetAsync($"/ExternalData/Accept/{scenario.Id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        var run = await ScenarioTestData.GetRunAsync(hub, RunId(response));
        Assert.Equal(scenario.Id, run.ScenarioId);
        Assert.Equal(TriggerKind.ExternalGet, run.Trigger);
        Assert.Null(run.Payload);
        Assert.Equal(3, run.MaxAttempts);
    }

    [Theory, AllDatabases]
    public async Task Accept_OfAScenarioDeletedWhileItsSettingsAreCached_Returns404_NotAServerError(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        var other = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        // The first trigger puts the scenario's settings in this node's cache; the delete below bypasses the API,
        // which would evict them, as a delete on another node, or one in flight on this node, does.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/ExternalData/Accept/{scenario.Id}")).StatusCode);
        await using (var db = await RunsTestData.CreateDbAsync(hub))
        {
            await db.Scenarios.Where(s => s.Id == scenario.Id).ExecuteDeleteAsync();
        }

        // Concurrent triggers share a group: the other scenario's runs are queued all the same.
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => client.PostAsync(
            $"/ExternalData/Accept/{(i % 2 == 0 ? scenario.Id : other.Id)}", new StringContent("{}", Encoding.UTF8, "application/json"))));

        Assert.All(responses.Where((_, i) => i % 2 == 0), r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.All(responses.Where((_, i) => i % 2 == 0), r => Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType));
        Assert.All(responses.Where((_, i) => i % 2 == 1), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(3, (await RunsTestData.GetRunsAsync(hub, other.Id)).Count);
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_Json_StoresTheRequestAsDataZero_WithoutCredentialHeaders(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/ExternalData/Accept/{scenario.Id}?source=shop&x=1")
        {
            Content = new StringContent("""{ "id": 7, "total": 12.5, "lines": [1, 2] }""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Cookie", "session=secret");
        request.Headers.Add("X-Shop", "north");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        var run = await ScenarioTestData.GetRunAsync(hub, RunId(response));
        Assert.Equal(TriggerKind.ExternalPost, run.Trigger);
        var trigger = JsonSerializer.Deserialize<TriggerRequest>(run.Payload!, TriggerRequest.SerializerOptions)!;
        Assert.Equal(7, trigger.Body.GetProperty("id").GetInt32());
        Assert.Equal(12.5m, trigger.Body.GetProperty("total").GetDecimal());
        Assert.Equal("""{ "id": 7, "total": 12.5, "lines": [1, 2] }""", trigger.RawBody);
        Assert.StartsWith("application/json", trigger.ContentType, StringComparison.Ordinal);
        Assert.Equal("north", trigger.Headers["X-Shop"]);
        Assert.DoesNotContain(trigger.Headers.Keys, k => k.Equals("Authorization", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(trigger.Headers.Keys, k => k.Equals("Cookie", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(HubHost.AdminToken, run.Payload, StringComparison.Ordinal);
        Assert.Equal("shop", trigger.Query["source"].GetString());
        Assert.Equal("1", trigger.Query["x"].GetString());
        Assert.True(trigger.ReceivedAt > DateTimeOffset.UtcNow.AddMinutes(-5));
        // Scripts read data[0].Body: the stored names are PascalCase.
        Assert.Contains("\"Body\":", run.Payload, StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_LargeAndSmallBodiesInTurn_EachRunStoresExactlyItsOwnRequest(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        // The hub writes payloads with buffers it keeps per thread; a large body grows one past what it keeps.
        var sent = new List<(string Body, Guid RunId)>();
        for (var i = 0; i < 30; i++)
        {
            var body = $$"""{"id":{{i}},"note":"{{new string('x', i % 3 == 0 ? 100_000 : i)}}"}""";
            var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            sent.Add((body, RunId(response)));
        }

        foreach (var (body, runId) in sent)
        {
            var run = await ScenarioTestData.GetRunAsync(hub, runId);
            var trigger = JsonSerializer.Deserialize<TriggerRequest>(run.Payload!, TriggerRequest.SerializerOptions)!;
            Assert.Equal(body, trigger.RawBody);
            Assert.Equal(body, trigger.Body.GetRawText());
        }
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_Xml_BecomesAnObjectByTheDocumentedRule(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        const string xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <order id="7" xmlns="urn:shop">
              <customer>Ada</customer>
              <line sku="A">2</line>
              <line sku="B">3</line>
              <note/>
            </order>
            """;

        foreach (var contentType in new[] { "application/xml", "text/xml" })
        {
            var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent(xml, Encoding.UTF8, contentType));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = (await PayloadAsync(hub, response)).Body;
            var order = body.GetProperty("order");
            Assert.Equal("7", order.GetProperty("@id").GetString());
            Assert.Equal("Ada", order.GetProperty("customer").GetString());
            var lines = order.GetProperty("line");
            Assert.Equal(JsonValueKind.Array, lines.ValueKind);
            Assert.Equal("B", lines[1].GetProperty("@sku").GetString());
            Assert.Equal("3", lines[1].GetProperty("#text").GetString());
            Assert.Equal(JsonValueKind.Null, order.GetProperty("note").ValueKind);
        }
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_XmlWithDtdOrExternalEntity_Returns400AndQueuesNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        const string xxe = """
            <?xml version="1.0"?>
            <!DOCTYPE r [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>
            <r>&x;</r>
            """;

        var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent(xxe, Encoding.UTF8, "application/xml"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains(ExternalApiEndpoints.RunIdHeader));
        Assert.DoesNotContain("root:", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_MalformedXml_Returns400WithLineAndPosition(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent("<a>\n<b></a>", Encoding.UTF8, "text/xml"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ProblemAsync(response);
        Assert.Contains("line 2", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_UrlEncodedForm_FieldsBecomeProperties_RepeatedFieldsArrays(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var form = new FormUrlEncodedContent([new("name", "Ada Lovelace"), new("tag", "a"), new("tag", "b & c")]);

        var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var trigger = await PayloadAsync(hub, response);
        Assert.Equal("Ada Lovelace", trigger.Body.GetProperty("name").GetString());
        Assert.Equal(["a", "b & c"], trigger.Body.GetProperty("tag").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("name=Ada+Lovelace", trigger.RawBody, StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_MultipartForm_FieldsAndUploadedFilesBecomeProperties(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var file = new ByteArrayContent("id;total\n7;12.5\n"u8.ToArray());
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using var form = new MultipartFormDataContent
        {
            { new StringContent("north"), "shop" },
            { file, "upload", "orders.csv" },
        };

        var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await PayloadAsync(hub, response)).Body;
        Assert.Equal("north", body.GetProperty("shop").GetString());
        var upload = body.GetProperty("upload");
        Assert.Equal("orders.csv", upload.GetProperty("fileName").GetString());
        Assert.Equal("text/csv", upload.GetProperty("contentType").GetString());
        Assert.Equal(16, upload.GetProperty("length").GetInt32());
        Assert.Equal("id;total\n7;12.5\n", Encoding.UTF8.GetString(Convert.FromBase64String(upload.GetProperty("content").GetString()!)));
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_MalformedMultipartForm_Returns400SayingWhy_AndQueuesNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var malformed = new (string ContentType, string Body, string Why)[]
        {
            ("multipart/form-data", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n", "no boundary"),
            ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1", "ended before its closing boundary line '--x--'"),
            ("multipart/form-data; boundary=XX", "garbage", "does not hold the boundary 'XX'"),
            ("multipart/form-data; boundary=x", "--x\r\nContent-Type: text/plain\r\n\r\n1\r\n--x--\r\n", "Content-Disposition"),
        };

        foreach (var (contentType, body, why) in malformed)
        {
            var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", RawContent(Encoding.UTF8.GetBytes(body), contentType));

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await ProblemAsync(response);
            Assert.Equal("Malformed multipart form", problem.GetProperty("title").GetString());
            Assert.Contains(why, problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
            Assert.False(response.Headers.Contains(ExternalApiEndpoints.RunIdHeader));
        }
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_MalformedJson_Returns400SayingWhere(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent("{\n  \"id\": 7,,\n}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ProblemAsync(response);
        Assert.Contains("line 2", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains(ExternalApiEndpoints.RunIdHeader));
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_EmptyBody_WithoutContentTypeIsAccepted_AsEmptyJsonIsNot(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var bare = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", null);
        var emptyJson = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent("", Encoding.UTF8, "application/json"));
        var trailing = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent("{} {}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, bare.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await PayloadAsync(hub, bare)).Body.ValueKind);
        Assert.Equal(HttpStatusCode.BadRequest, emptyJson.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, trailing.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_UnsupportedContentType_Returns415_OnlyAfterCredentialsScenarioAndRoleAreChecked(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var invalidToken = hub.CreateHttpClient(AccessTokenFormat.Generate());
        using var viewer = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Viewer));
        using var admin = hub.CreateAdminClient();
        var url = $"/ExternalData/Accept/{scenario.Id}";

        var badCredentials = await invalidToken.PostAsync(url, PlainText());
        var unknownScenario = await admin.PostAsync($"/ExternalData/Accept/{Guid.NewGuid()}", PlainText());
        var lowRole = await viewer.PostAsync(url, PlainText());
        var allowed = await admin.PostAsync(url, PlainText());

        Assert.Equal(HttpStatusCode.Unauthorized, badCredentials.StatusCode);
        Assert.Contains("invalid_token", badCredentials.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknownScenario.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, lowRole.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, allowed.StatusCode);
        Assert.Contains("text/plain", (await ProblemAsync(allowed)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));

        static StringContent PlainText() => new("id=7", Encoding.UTF8, "text/plain");
    }

    [Theory, AllDatabases]
    public async Task Accept_EveryErrorIsAProblemWithTypeTitleStatusAndDetail(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?>(RunsTestData.NoWorkers)
        {
            ["ExternalApi:MaxBodyBytes"] = "100",
        });
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        var disabled = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(enabled: false));
        var full = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(maxQueuedRuns: 1));
        await ScenarioTestData.FillQueueAsync(hub, full, 1);
        using var admin = hub.CreateAdminClient();
        using var anonymous = hub.CreateHttpClient();
        using var viewer = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Viewer));
        var url = $"/ExternalData/Accept/{scenario.Id}";

        var responses = new[]
        {
            (HttpStatusCode.BadRequest, await admin.GetAsync($"{url}?wait=soon")),
            (HttpStatusCode.Unauthorized, await anonymous.GetAsync(url)),
            (HttpStatusCode.Forbidden, await viewer.GetAsync(url)),
            (HttpStatusCode.NotFound, await admin.GetAsync($"/ExternalData/Accept/{Guid.NewGuid()}")),
            (HttpStatusCode.MethodNotAllowed, await admin.PutAsync(url, JsonContent.Create(new { id = 1 }))),
            (HttpStatusCode.Conflict, await admin.GetAsync($"/ExternalData/Accept/{disabled.Id}")),
            (HttpStatusCode.RequestEntityTooLarge, await admin.PostAsync(url, JsonContent.Create(new { text = new string('x', 200) }))),
            (HttpStatusCode.UnsupportedMediaType, await admin.PostAsync(url, new StringContent("x", Encoding.UTF8, "text/plain"))),
            ((HttpStatusCode)429, await admin.GetAsync($"/ExternalData/Accept/{full.Id}")),
        };

        foreach (var (status, response) in responses)
        {
            Assert.Equal(status, response.StatusCode);
            await AssertCompleteProblemAsync(response);
        }
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_OverTheBodyLimit_Returns413_WithAndWithoutContentLength(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?> { ["ExternalApi:MaxBodyBytes"] = "1024" });
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var big = "{\"text\":\"" + new string('x', 2000) + "\"}";

        var withLength = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent(big, Encoding.UTF8, "application/json"));
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var chunkedRequest = new HttpRequestMessage(HttpMethod.Post, $"/ExternalData/Accept/{scenario.Id}") { Content = chunked };
        chunkedRequest.Headers.TransferEncodingChunked = true;
        var withoutLength = await client.SendAsync(chunkedRequest);
        var small = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent("{\"id\":1}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, withLength.StatusCode);
        Assert.Equal(ProblemJson, withLength.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, withoutLength.StatusCode);
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task WithoutCredentials_ScenarioTakingExternalButNotAnonymousTriggers_Returns401WithChallenge(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var anonymous = hub.CreateHttpClient();

        var get = await anonymous.GetAsync($"/ExternalData/Accept/{scenario.Id}");
        var post = await anonymous.PostAsync($"/ExternalData/Accept/{scenario.Id}", JsonContent.Create(new { id = 1 }));
        var cache = await anonymous.GetAsync($"/ExternalData/GetCacheData/{scenario.Id}?keyJson=1");

        foreach (var response in new[] { get, post, cache })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
            Assert.False(response.Headers.Contains("X-Run-Id"));
        }
    }

    [Theory, AllDatabases]
    public async Task WithoutCredentials_UnknownScenarioAndScenarioWithoutExternalTriggers_Return404Alike(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var disabledTriggers = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(externalTriggers: false));
        using var anonymous = hub.CreateHttpClient();

        var titles = new List<string?>();
        foreach (var id in new[] { disabledTriggers.Id, Guid.NewGuid() })
        {
            var get = await anonymous.GetAsync($"/ExternalData/Accept/{id}");
            var post = await anonymous.PostAsync($"/ExternalData/Accept/{id}", JsonContent.Create(new { id = 1 }));
            var cache = await anonymous.GetAsync($"/ExternalData/GetCacheData/{id}?keyJson=1");

            foreach (var response in new[] { get, post, cache })
            {
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
                Assert.Empty(response.Headers.WwwAuthenticate);
                titles.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
            }
        }
        Assert.Single(titles.Distinct());
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, disabledTriggers.Id));
    }

    [Theory, AllDatabases]
    public async Task Accept_Anonymous_WhenScenarioAllowsIt_Returns200AndRecordsNoUser(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(anonymous: true));
        using var anonymous = hub.CreateHttpClient();

        var get = await anonymous.GetAsync($"/ExternalData/Accept/{scenario.Id}");
        var post = await anonymous.PostAsync($"/ExternalData/Accept/{scenario.Id}", JsonContent.Create(new { id = 1 }));

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Null((await ScenarioTestData.GetRunAsync(hub, RunId(post))).TriggeredBy);
    }

    [Theory, AllDatabases]
    public async Task Accept_WithInvalidToken_Returns401EvenWhenAnonymousIsAllowed(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(anonymous: true));
        using var client = hub.CreateHttpClient(AccessTokenFormat.Generate());

        var response = await client.GetAsync($"/ExternalData/Accept/{scenario.Id}");
        var cache = await client.GetAsync($"/ExternalData/GetCacheData/{scenario.Id}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, cache.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task Accept_ByRole_ViewerGets403_OperatorMayTrigger(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var viewer = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Viewer));
        using var operatorClient = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Operator));

        var denied = await viewer.PostAsync($"/ExternalData/Accept/{scenario.Id}", JsonContent.Create(new { id = 1 }));
        var allowed = await operatorClient.PostAsync($"/ExternalData/Accept/{scenario.Id}", JsonContent.Create(new { id = 1 }));

        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal(ProblemJson, denied.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.NotNull((await ScenarioTestData.GetRunAsync(hub, RunId(allowed))).TriggeredBy);
    }

    [Theory, AllDatabases]
    public async Task Accept_WithTheSignInCookie_TriggersAsThatUser_AndAViewersCookieGets403(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var admin = hub.CreateAdminClient();
        var operatorUser = await admin.CreateUserAsync(UserRole.Operator);
        var viewerUser = await admin.CreateUserAsync(UserRole.Viewer);
        using var operatorBrowser = await hub.SignInAsync(operatorUser.Email);
        using var viewerBrowser = await hub.SignInAsync(viewerUser.Email);

        var get = await operatorBrowser.GetAsync($"/ExternalData/Accept/{scenario.Id}");
        var post = await operatorBrowser.PostAsync($"/ExternalData/Accept/{scenario.Id}", JsonContent.Create(new { id = 1 }));
        var denied = await viewerBrowser.GetAsync($"/ExternalData/Accept/{scenario.Id}");

        foreach (var response in new[] { get, post })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(operatorUser.Id, (await ScenarioTestData.GetRunAsync(hub, RunId(response))).TriggeredBy);
        }
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal(ProblemJson, denied.Content.Headers.ContentType?.MediaType);
        Assert.Equal(2, (await RunsTestData.GetRunsAsync(hub, scenario.Id)).Count);
    }

    [Theory]
    [InlineData("POST", "Sec-Fetch-Site", "cross-site")]
    [InlineData("POST", "Sec-Fetch-Site", "same-site")]
    [InlineData("GET", "Sec-Fetch-Site", "cross-site")]
    [InlineData("GET", "Sec-Fetch-Site", "same-site")]
    [InlineData("POST", "Origin", "https://evil.example")]
    [InlineData("POST", "Origin", "null")]
    [InlineData("POST", "Origin", "http://127.0.0.1:1")] // the hub's host, another port: another origin
    public async Task Accept_WithTheSignInCookie_SentByAPageOfAnotherSite_Returns403_AndQueuesNothing(string method, string header, string value)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/ExternalData/Accept/{scenario.Id}");
        if (method == "POST")
        {
            request.Content = JsonContent.Create(new { id = 1 });
        }
        request.Headers.Add(header, value);

        var response = await browser.SendAsync(request);

        var problem = await IdentityTestClient.ReadProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("another site", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Fact]
    public async Task Accept_FromTheHubsOwnPagesOrWithoutFetchMetadata_OrWithATokenFromAnywhere_StillTriggers()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        using var tokenClient = hub.CreateAdminClient();

        var sent = new List<HttpResponseMessage>();
        foreach (var (client, header, value) in new (HttpClient, string?, string?)[]
        {
            (browser, "Sec-Fetch-Site", "same-origin"),
            (browser, "Sec-Fetch-Site", "none"),
            (browser, null, null),
            (browser, "Origin", hub.BaseAddress.GetLeftPart(UriPartial.Authority)),
            (tokenClient, "Sec-Fetch-Site", "cross-site"),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/ExternalData/Accept/{scenario.Id}") { Content = JsonContent.Create(new { id = 1 }) };
            if (header is not null)
            {
                request.Headers.Add(header, value);
            }
            sent.Add(await client.SendAsync(request));
        }

        Assert.All(sent, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(sent.Count, (await RunsTestData.GetRunsAsync(hub, scenario.Id)).Count);
    }

    [Fact]
    public async Task Accept_WithTheSignInCookie_SentByAPageOfAnotherSite_ToAnAnonymousScenario_RunsAsNoOne()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(anonymous: true));
        using var browser = await hub.SignInAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/ExternalData/Accept/{scenario.Id}") { Content = JsonContent.Create(new { id = 1 }) };
        request.Headers.Add("Sec-Fetch-Site", "same-site");

        var response = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null((await ScenarioTestData.GetRunAsync(hub, RunId(response))).TriggeredBy);
    }

    [Theory, AllDatabases]
    public async Task AnonymousScenario_CalledWithCredentialsThatDoNotReachIt_RunsAsAnAnonymousCall(DatabaseProvider provider)
    {
        // A browser signed in to another workspace, or a Viewer's token: without them the call would run, so with them too.
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(anonymous: true));
        var closed = await ScenarioTestData.CreateScenarioAsync(hub);
        using var stranger = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Admin, otherWorkspace: true));
        using var viewer = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Viewer));

        var fromStranger = await stranger.PostAsJsonAsync($"/ExternalData/Accept/{scenario.Id}", new { id = 1 });
        var cacheForStranger = await stranger.GetAsync($"/ExternalData/GetCacheData/{scenario.Id}");
        var fromViewer = await viewer.GetAsync($"/ExternalData/Accept/{scenario.Id}");
        var closedToStranger = await stranger.GetAsync($"/ExternalData/Accept/{closed.Id}");
        var closedToViewer = await viewer.GetAsync($"/ExternalData/Accept/{closed.Id}");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (fromStranger.StatusCode, cacheForStranger.StatusCode, fromViewer.StatusCode));
        Assert.Null((await ScenarioTestData.GetRunAsync(hub, RunId(fromStranger))).TriggeredBy);
        Assert.Null((await ScenarioTestData.GetRunAsync(hub, RunId(fromViewer))).TriggeredBy);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.Forbidden), (closedToStranger.StatusCode, closedToViewer.StatusCode));
    }

    [Theory, AllDatabases]
    public async Task Accept_OtherWorkspaceOrTriggersDisabledOrUnknown_Returns404Alike(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        var noTriggers = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(externalTriggers: false));
        using var stranger = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Admin, otherWorkspace: true));
        using var admin = hub.CreateAdminClient();

        var otherWorkspace = await stranger.GetAsync($"/ExternalData/Accept/{scenario.Id}");
        var otherWorkspaceCache = await stranger.GetAsync($"/ExternalData/GetCacheData/{scenario.Id}");
        var disabled = await admin.GetAsync($"/ExternalData/Accept/{noTriggers.Id}");
        var unknown = await admin.GetAsync($"/ExternalData/Accept/{Guid.NewGuid()}");

        foreach (var response in new[] { otherWorkspace, otherWorkspaceCache, disabled, unknown })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("Scenario not found", (await ProblemAsync(response)).GetProperty("title").GetString());
        }
    }

    [Theory, AllDatabases]
    public async Task Accept_DisabledScenario_Returns409(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(enabled: false));
        using var client = hub.CreateAdminClient();

        var response = await client.GetAsync($"/ExternalData/Accept/{scenario.Id}");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
    }

    [Theory, AllDatabases]
    public async Task OtherMethods_Return405WithAllowHeaderAndProblem(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var put = await client.PutAsync($"/ExternalData/Accept/{scenario.Id}", JsonContent.Create(new { id = 1 }));
        var postCache = await client.PostAsync($"/ExternalData/GetCacheData/{scenario.Id}", JsonContent.Create(new { id = 1 }));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, put.StatusCode);
        Assert.Contains("POST", put.Content.Headers.Allow);
        Assert.Contains("GET", put.Content.Headers.Allow);
        Assert.Equal(ProblemJson, put.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, postCache.StatusCode);
        Assert.Contains("GET", postCache.Content.Headers.Allow);
    }

    [Theory, AllDatabases]
    public async Task Accept_WhenTheQueueIsFull_Returns429WithTheConfiguredRetryAfter(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?> { ["Runs:QueueFullRetryAfterSeconds"] = "7" });
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(maxQueuedRuns: 2));
        await ScenarioTestData.FillQueueAsync(hub, scenario, 2);
        using var client = hub.CreateAdminClient();

        var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", JsonContent.Create(new { id = 1 }));

        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
    }

    [Theory, AllDatabases]
    public async Task Accept_RepeatedIdempotencyKey_ReturnsTheFirstRunIdAndQueuesOnce(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var first = await client.SendAsync(WithKey(scenario.Id, "order-7"));
        var repeat = await client.SendAsync(WithKey(scenario.Id, "order-7"));
        var other = await client.SendAsync(WithKey(scenario.Id, "order-8"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        Assert.Empty(await repeat.Content.ReadAsByteArrayAsync());
        Assert.Equal(RunId(first), RunId(repeat));
        Assert.NotEqual(RunId(first), RunId(other));
    }

    [Theory, AllDatabases]
    public async Task Accept_AnotherCallersIdempotencyKey_QueuesARunOfItsOwn_AndNeverAnswersWithTheFirstCallersResult(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(anonymous: true, change: j =>
        {
            j["sourceScript"] = "return [{ card: data[0].Body.card }];";
            j["target"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "none" };
        }));
        using var admin = hub.CreateAdminClient();
        using var operatorClient = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Operator));
        using var anonymous = hub.CreateHttpClient();

        var first = await admin.SendAsync(WithKey(scenario.Id, "order-7", new { card = "4111-secret" }));
        var byOperator = await operatorClient.SendAsync(WithKey(scenario.Id, "order-7", new { card = "operator" }));
        var byAnyone = await anonymous.SendAsync(WithKey(scenario.Id, "order-7", new { card = "anyone" }, wait: true));
        var anyoneRetrying = await anonymous.SendAsync(WithKey(scenario.Id, "order-7", new { card = "anyone" }));
        var bySomeoneElse = await anonymous.SendAsync(WithKey(scenario.Id, "order-7", new { card = "someone else" }, wait: true));

        Assert.Equal(3, new[] { RunId(first), RunId(byOperator), RunId(byAnyone) }.Distinct().Count());
        Assert.DoesNotContain("secret", await byAnyone.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Without credentials the request is the scope: a retry of it is one trigger, another body under the key another.
        Assert.Equal(RunId(byAnyone), RunId(anyoneRetrying));
        Assert.NotEqual(RunId(byAnyone), RunId(bySomeoneElse));
        var answered = await bySomeoneElse.Content.ReadAsStringAsync();
        Assert.Contains("someone else", answered, StringComparison.Ordinal);
        Assert.DoesNotContain("\"anyone\"", answered, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AcceptPost_IdempotencyKeyWithoutCredentials_TellsApartRequestsThatDifferOnlyInHowTheirPartsRunTogether()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(anonymous: true));
        using var anonymous = hub.CreateHttpClient();

        async Task<Guid> TriggerAsync(string query, string body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/ExternalData/Accept/{scenario.Id}{query}")
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Idempotency-Key", "order-7");
            return RunId(await anonymous.SendAsync(request));
        }

        Assert.NotEqual(await TriggerAsync("?a=1&b=2", "{}"), await TriggerAsync("?a=1%26b%3D2", "{}"));
        Assert.NotEqual(await TriggerAsync("?a=1&a=2", "{}"), await TriggerAsync("?a=1,2", "{}"));
        Assert.NotEqual(await TriggerAsync("?a=1", "\n{}"), await TriggerAsync("?a=1%0A", "{}"));
        // wait says how to answer, in any case: a retry that adds it is the same trigger.
        Assert.Equal(await TriggerAsync("?c=3", "{}"), await TriggerAsync("?c=3&Wait=0", "{}"));
    }

    [Fact]
    public async Task AcceptGet_RepeatedIdempotencyKeyWithoutCredentials_QueuesOnce()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(anonymous: true));
        using var anonymous = hub.CreateHttpClient();

        async Task<Guid> TriggerAsync(string query)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/ExternalData/Accept/{scenario.Id}{query}");
            request.Headers.Add("Idempotency-Key", "nightly-2026-11-30");
            return RunId(await anonymous.SendAsync(request));
        }

        Assert.Equal(await TriggerAsync(""), await TriggerAsync("?wait=0"));
    }

    [Fact]
    public async Task Accept_WithTwoIdempotencyKeyHeaders_Returns400()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        // Two header lines, as HttpClient would never send them: it folds the values into one line ("a, b"), which is
        // one key by HTTP's rules.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(hub.BaseAddress.Host, hub.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /ExternalData/Accept/{scenario.Id} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {HubHost.AdminToken}\r\n"
            + "Idempotency-Key: a\r\nIdempotency-Key: b\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"));
        var answer = await new StreamReader(stream).ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("Send one Idempotency-Key header.", answer, StringComparison.Ordinal);
        Assert.Empty(await IntegrationHub.Tests.Runs.RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    private static HttpRequestMessage WithKey(Guid scenarioId, string key, object? body = null, bool wait = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/ExternalData/Accept/{scenarioId}{(wait ? "?wait=30" : "")}")
        {
            Content = JsonContent.Create(body ?? new { id = 1 }),
        };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_TheScriptSeesTheBodyAsDataZero_AndGetCacheDataReadsWhatItStored(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(anonymous: true, change: j =>
        {
            j["sourceScript"] = "storage.set({ order: data[0].Body.id }, { total: data[0].Body.total, shop: data[0].Query.shop }); return [];";
            j["target"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "none" };
        }));
        using var anonymous = hub.CreateHttpClient();

        var accepted = await anonymous.PostAsync($"/ExternalData/Accept/{scenario.Id}?shop=north", JsonContent.Create(new { id = 7, total = 12.5 }));

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var url = $"/ExternalData/GetCacheData/{scenario.Id}?keyJson={Uri.EscapeDataString("{\"order\":7}")}";
        var deadline = DateTime.UtcNow.AddSeconds(60);
        HttpResponseMessage cached;
        do
        {
            cached = await anonymous.GetAsync(url);
            if (cached.StatusCode == HttpStatusCode.OK)
            {
                break;
            }
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
        var value = await cached.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(12.5m, value.GetProperty("total").GetDecimal());
        Assert.Equal("north", value.GetProperty("shop").GetString());
    }

    [Theory, AllDatabases]
    public async Task Accept_WithWait_AnswersTheFinishedRunsResultAsJson(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        // Capped at ExternalApi:MaxWaitSeconds (30 s by default): ample for one run, even on a slow machine.
        var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}?wait=60", JsonContent.Create(new { id = 1, total = 2 }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<RunResultResponse>(TestJson.Options);
        Assert.NotNull(result);
        Assert.Equal((RunId(response), RunStatus.Succeeded), (result.RunId, result.Status));
        Assert.Equal("""[{"id":1,"total":2}]""", result.Result?.GetRawText());
    }

    [Fact]
    public async Task Accept_WithWait_ManyCallersAtOnce_LeaveTheWorkersConnections_AndAllGetTheirResults()
    {
        // A server that takes few connections from the hub: each waiter polling on a connection of its own took them
        // all, and the workers' claims and outcomes (so the very runs waited for) failed for want of one.
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        var role = "hub_" + Guid.NewGuid().ToString("N")[..12];
        var settings = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        await using (var admin = new NpgsqlConnection(database.ConnectionString))
        {
            await admin.OpenAsync();
            await using var limit = new NpgsqlCommand($"""CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 20; ALTER DATABASE "{settings.Database}" OWNER TO "{role}";""", admin);
            await limit.ExecuteNonQueryAsync();
        }
        settings.Username = role;
        await using var hub = HubHost.Start(database with { ConnectionString = settings.ConnectionString });
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(change: j => j["advanced"]!["maxConcurrentRuns"] = 8));
        using var client = hub.CreateAdminClient();
        client.Timeout = TimeSpan.FromMinutes(2);
        // The token and the scenario read once, as a node that runs a while has them cached.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/ExternalData/Accept/{scenario.Id}?wait=60", JsonContent.Create(new { id = -1 }))).StatusCode);

        var answers = await Task.WhenAll(Enumerable.Range(0, 120).Select(i =>
            client.PostAsync($"/ExternalData/Accept/{scenario.Id}?wait=60", JsonContent.Create(new { id = i }))));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
    }

    [Theory, AllDatabases]
    public async Task Accept_WithWaitPastTheCap_Answers202WithTheQueuedRun_OnceTheCapPassed(DatabaseProvider provider)
    {
        // No workers: the run stays queued, so only the cap can end the wait.
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?>(RunsTestData.NoWorkers)
        {
            ["ExternalApi:MaxWaitSeconds"] = "1",
        });
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        client.Timeout = TimeSpan.FromMinutes(2);

        var response = await client.GetAsync($"/ExternalData/Accept/{scenario.Id}?wait=3600");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<RunResultResponse>(TestJson.Options);
        Assert.NotNull(result);
        Assert.Equal((RunId(response), RunStatus.Queued), (result.RunId, result.Status));
        Assert.Equal($"/api/v1/runs/{result.RunId}", response.Headers.Location?.OriginalString);
    }

    [Theory, AllDatabases]
    public async Task Accept_WithInvalidWait_Returns400(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        foreach (var wait in new[] { "soon", "-1", "1.5", "" })
        {
            var response = await client.GetAsync($"/ExternalData/Accept/{scenario.Id}?wait={wait}");

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("Invalid wait", (await ProblemAsync(response)).GetProperty("title").GetString());
        }
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Theory, AllDatabases]
    public async Task Accept_WithWaitZero_Answers200WithAnEmptyBody_AsWithoutWait(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        foreach (var response in new[]
        {
            await client.GetAsync($"/ExternalData/Accept/{scenario.Id}?wait=0"),
            await client.PostAsync($"/ExternalData/Accept/{scenario.Id}?wait=0", JsonContent.Create(new { id = 1 })),
        })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
            Assert.Null(response.Content.Headers.ContentType);
            Assert.NotEqual(Guid.Empty, RunId(response));
        }
    }

    [Theory, AllDatabases]
    public async Task Accept_WithWaitLargerThanAnyNumberOfSeconds_IsCappedLikeAnyOtherWait(DatabaseProvider provider)
    {
        // Waiting turned off: every wait is cut to 0, so the answer is the plain 200 without waiting for the run.
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?>(RunsTestData.NoWorkers)
        {
            ["ExternalApi:MaxWaitSeconds"] = "0",
        });
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        foreach (var wait in new[] { "100000", "99999999999", "123456789012345678901234567890" })
        {
            var response = await client.GetAsync($"/ExternalData/Accept/{scenario.Id}?wait={wait}");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }
    }
}
