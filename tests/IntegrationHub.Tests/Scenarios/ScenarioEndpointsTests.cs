using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;

namespace IntegrationHub.Tests.Scenarios;

public sealed class ScenarioEndpointsTests
{
    [Theory, AllDatabases]
    public async Task Create_Returns201WithLocation_AndGetReturnsTheIssueShape(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateAdminClient();

        var created = await client.PostAsJsonAsync("/api/v1/scenarios", ScenarioTestData.ScenarioJson(), TestJson.Options);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var json = await client.GetFromJsonAsync<JsonElement>(created.Headers.Location);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/v1/scenarios/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("Orders to ERP", json.GetProperty("name").GetString());
        Assert.True(json.GetProperty("enabled").GetBoolean());
        Assert.Equal("none", json.GetProperty("source").GetProperty("type").GetString());
        Assert.StartsWith("return data.map", json.GetProperty("sourceScript").GetString(), StringComparison.Ordinal);
        Assert.Equal("storage", json.GetProperty("target").GetProperty("type").GetString());
        Assert.Equal("id", json.GetProperty("target").GetProperty("keyFields")[0].GetString());
        Assert.Equal("0 0 29 2 *", json.GetProperty("schedule").GetProperty("cron").GetString());
        Assert.Equal("Europe/Berlin", json.GetProperty("schedule").GetProperty("timeZone").GetString());
        var advanced = json.GetProperty("advanced");
        Assert.True(advanced.GetProperty("enableExternalTriggers").GetBoolean());
        Assert.False(advanced.GetProperty("allowAnonymousTriggers").GetBoolean());
        Assert.Equal(1, advanced.GetProperty("maxConcurrentRuns").GetInt32());
        Assert.Equal(1000, advanced.GetProperty("maxQueuedRuns").GetInt32());
        Assert.Equal(300, advanced.GetProperty("timeoutSeconds").GetInt32());
        Assert.Equal(3, advanced.GetProperty("maxAttempts").GetInt32());
        Assert.Equal(1, json.GetProperty("version").GetInt32());
    }

    [Theory, AllDatabases]
    public async Task Create_AcceptsConnectorTypesInAnyCase_AndStoresThemLowerCase(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);

        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(change: j =>
        {
            j["source"] = new JsonObject { ["type"] = "HTTP", ["url"] = "https://example.test/orders" };
            j["target"] = new JsonObject { ["type"] = "Http", ["url"] = "http://127.0.0.1:9/erp", ["method"] = "put" };
        }));

        Assert.Equal("http", scenario.Source.Type);
        Assert.Equal("http", scenario.Target.Type);
        Assert.Equal("PUT", scenario.Target.Method);
    }

    [Theory]
    [InlineData("name", "")]
    [InlineData("schedule.cron", "every monday")]
    [InlineData("schedule.cron", "* * * *")]
    [InlineData("schedule.timeZone", "Mars/Olympus")]
    [InlineData("advanced.maxAttempts", "0")]
    [InlineData("advanced.maxConcurrentRuns", "101")]
    [InlineData("advanced.maxQueuedRuns", "-1")]
    [InlineData("advanced.timeoutSeconds", "100000")]
    [InlineData("source.type", "ftp")]
    [InlineData("target.type", "kafka")]
    [InlineData("source.url", "not a url")]
    [InlineData("target.url", "ftp://example.test/")]
    [InlineData("target.keyFields", "")]
    [InlineData("advanced.allowAnonymousTriggers", "true")]
    public async Task Create_WithInvalidField_Returns400NamingTheField(string field, string value)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateAdminClient();
        var json = ScenarioTestData.ScenarioJson(change: j => Set(j, field, value));

        var response = await client.PostAsJsonAsync("/api/v1/scenarios", json, TestJson.Options);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"errors should name {field}: {errors}");
        // A client that shows only the detail reads the same.
        Assert.Contains($"{field}: {messages[0].GetString()}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WithAScriptLongerThanTheLimit_Returns400SayingHowLong_AndAtTheLimitSaves()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateAdminClient();
        string Script(int length) => "return [];\n//" + new string('x', length - "return [];\n//".Length);

        var tooLong = await client.PostAsJsonAsync("/api/v1/scenarios",
            ScenarioTestData.ScenarioJson(change: j => j["sourceScript"] = Script(ScenarioLimits.SourceScriptMaxLength + 1)), TestJson.Options);
        var longest = await client.PostAsJsonAsync("/api/v1/scenarios",
            ScenarioTestData.ScenarioJson(change: j => j["sourceScript"] = Script(ScenarioLimits.SourceScriptMaxLength)), TestJson.Options);

        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        var errors = (await tooLong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains($"at most {ScenarioLimits.SourceScriptMaxLength:N0} characters", errors.GetProperty("sourceScript")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, longest.StatusCode);
    }

    // Each of these was saved and then silently did nothing: a time zone without a schedule, a schedule that never
    // fires, headers HttpClient refuses to send, two headers whose names differ only in case, a URL's user name and password
    // (HttpClient does not send them).
    [Theory]
    [InlineData("schedule.timeZone", "schedule", """{"timeZone": "Europe/Berlin"}""")]
    [InlineData("schedule.cron", "schedule", """{"cron": "0 0 30 2 *", "timeZone": "Europe/Berlin"}""")]
    [InlineData("source.headers", "source", """{"type": "http", "url": "http://example.test/", "headers": {"X Api Key": "1"}}""")]
    [InlineData("target.headers", "target", """{"type": "http", "url": "http://example.test/", "headers": {"X-Api-Key": "1\r\nX-Evil: 2"}}""")]
    [InlineData("source.headers", "source", """{"type": "http", "url": "http://example.test/", "headers": {"X-A": "1", "x-a": "2"}}""")]
    [InlineData("target.headers", "target", """{"type": "http", "url": "http://example.test/", "headers": {"X-A": "1", "x-a": "2"}}""")]
    [InlineData("source.url", "source", """{"type": "http", "url": "http://user:s3cret@example.test/"}""")]
    [InlineData("target.url", "target", """{"type": "http", "url": "https://user@example.test/"}""")]
    public async Task Create_WithScheduleOrHeadersThatWouldNeverWork_Returns400NamingTheField(string field, string property, string value)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateAdminClient();
        var json = ScenarioTestData.ScenarioJson(change: j => j[property] = JsonNode.Parse(value));

        var response = await client.PostAsJsonAsync("/api/v1/scenarios", json, TestJson.Options);

        await IdentityTestClient.AssertValidationProblemAsync(response, field);
        var list = await client.GetFromJsonAsync<ScenarioPage>("/api/v1/scenarios", TestJson.Options);
        Assert.Equal(0, list!.Total);
    }

    // Each was saved (201), and then every GET /api/v1/scenarios carried it: a 25 MB URL made the list 25 MB and 6 s long.
    // The bounds hold whatever the type, as a setting a type does not use is kept and listed all the same.
    [Theory]
    [InlineData("source.url", "source", """{"type": "http", "url": "http://example.test/{long}"}""")]
    [InlineData("source.url", "source", """{"type": "none", "url": "http://example.test/{long}"}""")]
    [InlineData("target.url", "target", """{"type": "http", "url": "http://example.test/{long}"}""")]
    [InlineData("source.headers", "source", """{"type": "http", "url": "http://example.test/", "headers": {many headers}}""")]
    [InlineData("target.headers", "target", """{"type": "http", "url": "http://example.test/", "headers": {"X-{long}": "1"}}""")]
    [InlineData("target.headers", "target", """{"type": "none", "headers": {"X-A": "{long}"}}""")]
    [InlineData("target.keyFields", "target", """{"type": "storage", "keyFields": [many key fields]}""")]
    [InlineData("target.keyFields", "target", """{"type": "storage", "keyFields": ["{long}"]}""")]
    [InlineData("target.method", "target", """{"type": "none", "method": "{long}"}""")]
    public async Task Create_WithAConnectorSettingOverItsBound_Returns400NamingTheField(string field, string property, string value)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateAdminClient();
        var json = value
            .Replace("{long}", new string('a', ScenarioLimits.UrlMaxLength + 1), StringComparison.Ordinal)
            .Replace("{many headers}", $"{{{string.Join(", ", Enumerable.Range(0, ScenarioLimits.HeadersMaxCount + 1).Select(i => $"\"X-{i}\": \"1\""))}}}", StringComparison.Ordinal)
            .Replace("[many key fields]", $"[{string.Join(", ", Enumerable.Range(0, ScenarioLimits.KeyFieldsMaxCount + 1).Select(i => $"\"f{i}\""))}]", StringComparison.Ordinal);

        var response = await client.PostAsJsonAsync("/api/v1/scenarios", ScenarioTestData.ScenarioJson(change: j => j[property] = JsonNode.Parse(json)), TestJson.Options);

        await IdentityTestClient.AssertValidationProblemAsync(response, field);
        Assert.Equal(0, (await client.GetFromJsonAsync<ScenarioPage>("/api/v1/scenarios", TestJson.Options))!.Total);
    }

    [Fact]
    public async Task Create_WithConnectorSettingsAtTheirBounds_Saves()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateAdminClient();
        var url = "http://example.test/" + new string('a', ScenarioLimits.UrlMaxLength - "http://example.test/".Length);
        var headers = new JsonObject();
        foreach (var i in Enumerable.Range(0, ScenarioLimits.HeadersMaxCount))
        {
            headers[$"X-{i}-" + new string('a', ScenarioLimits.HeaderNameMaxLength - $"X-{i}-".Length)] = new string('v', ScenarioLimits.HeaderValueMaxLength);
        }
        var keyFields = new JsonArray([.. Enumerable.Range(0, ScenarioLimits.KeyFieldsMaxCount).Select(i => (JsonNode)$"{i}-{new string('f', ScenarioLimits.KeyFieldMaxLength - $"{i}-".Length)}")]);
        var json = ScenarioTestData.ScenarioJson(change: j =>
        {
            j["source"] = new JsonObject { ["type"] = "http", ["url"] = url, ["headers"] = headers };
            j["target"] = new JsonObject { ["type"] = "storage", ["keyFields"] = keyFields };
        });

        var response = await client.PostAsJsonAsync("/api/v1/scenarios", json, TestJson.Options);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task Create_KeepsSettingsTheTypeDoesNotUse_AsGiven_WithoutCheckingThem(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateAdminClient();
        // Left over from an earlier http choice in the editor, which hides them once the type is none or storage: an error
        // for them pointed at nothing the user could see.
        var json = ScenarioTestData.ScenarioJson(change: j =>
        {
            j["source"] = JsonNode.Parse("""{"type": "none", "url": "not a url", "headers": {"X Api Key": "1", "X-A": "a\r\nb", "x-a": "2"}}""");
            j["target"] = JsonNode.Parse("""{"type": "storage", "keyFields": ["id"], "url": "ftp://example.test/", "method": "DELETE", "headers": {"Bad Name": "1"}}""");
        });

        var response = await client.PostAsJsonAsync("/api/v1/scenarios", json, TestJson.Options);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var saved = (await response.Content.ReadFromJsonAsync<ScenarioResponse>(TestJson.Options))!;
        Assert.Equal("not a url", saved.Source.Url);
        Assert.Equal("a\r\nb", saved.Source.Headers!["X-A"]);
        Assert.Equal("ftp://example.test/", saved.Target.Url);
        Assert.Equal("1", saved.Target.Headers!["Bad Name"]);
    }

    [Theory]
    [InlineData("europe/berlin", "Europe/Berlin")]
    [InlineData(" utc ", "UTC")]
    [InlineData("w. europe standard time", "W. Europe Standard Time")]
    [InlineData("AMERICA/NEW_YORK", "America/New_York")]
    public async Task Create_SavesTheTimeZoneAsItsIdIsSpelt_NotAsTyped(string typed, string saved)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);

        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(change: j =>
            j["schedule"] = new JsonObject { ["cron"] = "0 3 * * *", ["timeZone"] = typed }));

        Assert.Equal(saved, scenario.Schedule?.TimeZone);
    }

    [Theory, AllDatabases]
    public async Task CreateOrReplace_WithMalformedJsonOrNotJson_AnswersAProblem_AndStoresNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var malformed = await client.PostAsync("/api/v1/scenarios", new StringContent("{ \"name\": ", System.Text.Encoding.UTF8, "application/json"));
        var replaceMalformed = await client.PutAsync($"/api/v1/scenarios/{scenario.Id}", new StringContent("[1,", System.Text.Encoding.UTF8, "application/json"));
        var notJson = await client.PostAsync("/api/v1/scenarios", new StringContent("name=Orders", System.Text.Encoding.UTF8, "text/plain"));

        foreach (var (response, status) in new[] { (malformed, HttpStatusCode.BadRequest), (replaceMalformed, HttpStatusCode.BadRequest), (notJson, HttpStatusCode.UnsupportedMediaType) })
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        var list = await client.GetFromJsonAsync<ScenarioPage>("/api/v1/scenarios", TestJson.Options);
        Assert.Equal([scenario.Id], list!.Items.Select(s => s.Id));
        Assert.Equal(scenario.Name, (await client.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{scenario.Id}", TestJson.Options))!.Name);
    }

    [Theory, AllDatabases]
    public async Task Create_WithSixFieldCronAndWithoutSchedule_IsValid(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);

        var withSeconds = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(change: j =>
            j["schedule"] = new JsonObject { ["cron"] = "0 */5 * * * *" }));
        var unscheduled = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(change: j => j.Remove("schedule")));

        Assert.Equal("0 */5 * * * *", withSeconds.Schedule?.Cron);
        Assert.Null(unscheduled.Schedule);
    }

    [Theory, AllDatabases]
    public async Task Replace_WithAnEmptyOrNullCron_RemovesTheSchedule(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateAdminClient();

        foreach (var cron in new JsonValue?[] { JsonValue.Create(""), null })
        {
            var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(change: j =>
                j["schedule"] = new JsonObject { ["cron"] = "0 3 * * *" }));

            // What a form with its cron field cleared sends: documented as "no schedule", as is schedule: null.
            var put = await client.PutAsJsonAsync($"/api/v1/scenarios/{scenario.Id}",
                ScenarioTestData.ScenarioJson(change: j => j["schedule"] = new JsonObject { ["cron"] = cron }), TestJson.Options);

            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            Assert.Null((await put.Content.ReadFromJsonAsync<ScenarioResponse>(TestJson.Options))!.Schedule);
        }
    }

    [Theory, AllDatabases]
    public async Task Create_WithAWindowsTimeZoneAndTabsInTheCron_IsSavedWithSpaces(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);

        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(change: j =>
            j["schedule"] = new JsonObject { ["cron"] = " 0\t3  * * *", ["timeZone"] = "W. Europe Standard Time" }));

        Assert.Equal(new ScheduleDto("0 3 * * *", "W. Europe Standard Time"), scenario.Schedule);
    }

    [Theory, AllDatabases]
    public async Task Create_WithScriptThatDoesNotParse_Returns400WithLineAndColumn(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateAdminClient();
        var json = ScenarioTestData.ScenarioJson(change: j => j["sourceScript"] = "const a = 1;\nreturn data.map(o => o.;");

        var response = await client.PostAsJsonAsync("/api/v1/scenarios", json, TestJson.Options);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("sourceScript", out _));
        var scriptError = problem.GetProperty("scriptError");
        Assert.Equal(2, scriptError.GetProperty("line").GetInt32());
        Assert.True(scriptError.GetProperty("column").GetInt32() > 1);
    }

    [Theory, AllDatabases]
    public async Task List_PagesAndSearchesByNameCaseInsensitively(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        foreach (var name in new[] { "Orders to ERP", "Invoices to ERP", "orders archive" })
        {
            await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(name));
        }
        using var client = hub.CreateAdminClient();

        var firstPage = await client.GetFromJsonAsync<ScenarioPage>("/api/v1/scenarios?pageSize=2", TestJson.Options);
        var secondPage = await client.GetFromJsonAsync<ScenarioPage>("/api/v1/scenarios?pageSize=2&page=2", TestJson.Options);
        var orders = await client.GetFromJsonAsync<ScenarioPage>("/api/v1/scenarios?search=ORDERS", TestJson.Options);
        var badPage = await client.GetAsync("/api/v1/scenarios?page=0");

        Assert.Equal(3, firstPage!.Total);
        Assert.Equal(2, firstPage.Items.Count);
        Assert.Single(secondPage!.Items);
        Assert.Equal(2, orders!.Total);
        Assert.All(orders.Items, s => Assert.Contains("orders", s.Name, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(HttpStatusCode.BadRequest, badPage.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task List_SearchesNonAsciiNamesCaseInsensitively(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson("Übertragung Äpfel"));
        await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson("İzmir office"));
        await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson("Orders to ERP"));
        using var client = hub.CreateAdminClient();

        // "İ" (U+0130) is where .NET's and PostgreSQL's lower case differ: its exact text must find it on both.
        foreach (var (search, name) in new[]
        {
            ("Übertragung", "Übertragung Äpfel"), ("übertragung", "Übertragung Äpfel"), ("äpfel", "Übertragung Äpfel"),
            ("ÄPFEL", "Übertragung Äpfel"), ("g Ä", "Übertragung Äpfel"), ("İzmir office", "İzmir office"), ("İZMIR", "İzmir office"),
        })
        {
            var found = await client.GetFromJsonAsync<ScenarioPage>($"/api/v1/scenarios?search={Uri.EscapeDataString(search)}", TestJson.Options);
            Assert.Equal(name, Assert.Single(found!.Items).Name);
        }
    }

    [Theory, AllDatabases]
    public async Task List_SearchesDescriptionsToo_AndATermWithNul_FindsNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var described = ScenarioTestData.ScenarioJson("Nightly sync");
        described["description"] = "Shop orders into the ERP";
        await ScenarioTestData.CreateScenarioAsync(hub, described);
        await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson("Invoices"));
        using var client = hub.CreateAdminClient();

        var byDescription = await client.GetFromJsonAsync<ScenarioPage>("/api/v1/scenarios?search=shop%20ORDERS", TestJson.Options);
        // PostgreSQL's text cannot hold U+0000: compared there, the term was a 500.
        var withNul = await client.GetFromJsonAsync<ScenarioPage>("/api/v1/scenarios?search=sync%00", TestJson.Options);

        Assert.Equal("Nightly sync", Assert.Single(byDescription!.Items).Name);
        Assert.Empty(withNul!.Items);
        Assert.Equal(0, withNul.Total);
    }

    [Theory, AllDatabases]
    public async Task List_PageFarPastTheEnd_IsEmpty(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        // (page - 1) * pageSize is past int.MaxValue here; wrapped around, it pointed back at the first page.
        var last = await client.GetFromJsonAsync<ScenarioPage>($"/api/v1/scenarios?page={int.MaxValue}&pageSize=200", TestJson.Options);

        Assert.Empty(last!.Items);
        Assert.Equal(1, last.Total);
    }

    [Theory, AllDatabases]
    public async Task Replace_IncrementsVersion_AndAStaleVersionGets409(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var first = await client.PutAsJsonAsync($"/api/v1/scenarios/{scenario.Id}",
            ScenarioTestData.ScenarioJson("Renamed", change: j => j["version"] = 1), TestJson.Options);
        var stale = await client.PutAsJsonAsync($"/api/v1/scenarios/{scenario.Id}",
            ScenarioTestData.ScenarioJson("Lost update", change: j => j["version"] = 1), TestJson.Options);
        var current = await client.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{scenario.Id}", TestJson.Options);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal("application/problem+json", stale.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Renamed", current!.Name);
        Assert.Equal(2, current.Version);
    }

    [Theory, AllDatabases]
    public async Task Replace_ManyAtOnceWithoutVersion_AllSucceed_TheLastSaveWinning(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            client.PutAsJsonAsync($"/api/v1/scenarios/{scenario.Id}", ScenarioTestData.ScenarioJson($"Renamed {i}"), TestJson.Options)));
        var current = await client.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{scenario.Id}", TestJson.Options);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(scenario.Version + 10, current!.Version);
        var saves = await Task.WhenAll(answers.Select(a => a.Content.ReadFromJsonAsync<ScenarioResponse>(TestJson.Options)));
        Assert.Equal(current.Name, Assert.Single(saves, s => s!.Version == current.Version)!.Name);
    }

    [Theory, AllDatabases]
    public async Task Replace_TakesEffectForTriggersOnThisNodeAtOnce(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(externalTriggers: false));
        using var client = hub.CreateAdminClient();
        var before = await client.GetAsync($"/ExternalData/Accept/{scenario.Id}");

        var put = await client.PutAsJsonAsync($"/api/v1/scenarios/{scenario.Id}", ScenarioTestData.ScenarioJson(), TestJson.Options);
        var after = await client.GetAsync($"/ExternalData/Accept/{scenario.Id}");

        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task Delete_Returns204_ThenTheScenarioIsGoneForApiAndTriggers(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var trigger = await client.GetAsync($"/ExternalData/Accept/{scenario.Id}");

        var delete = await client.DeleteAsync($"/api/v1/scenarios/{scenario.Id}");
        var get = await client.GetAsync($"/api/v1/scenarios/{scenario.Id}");
        var triggerAfter = await client.GetAsync($"/ExternalData/Accept/{scenario.Id}");
        var deleteAgain = await client.DeleteAsync($"/api/v1/scenarios/{scenario.Id}");

        Assert.Equal(HttpStatusCode.OK, trigger.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("application/problem+json", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, triggerAfter.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, deleteAgain.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task Delete_OfAScenarioWithMoreRunsThanABatch_DeletesThemAll_AndNoOtherScenariosRuns(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?> { ["Runs:ExecuteRuns"] = "false", ["Housekeeping:BatchSize"] = "50" });
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var other = await RunsTestData.CreateScenarioAsync(hub);
        await RunsTestData.AddRunsAsync(hub, scenario, Enumerable.Repeat(RunStatus.Succeeded, 120).Append(RunStatus.Queued));
        await RunsTestData.AddRunsAsync(hub, other, [RunStatus.Succeeded, RunStatus.Queued]);
        using var admin = hub.CreateAdminClient();
        using var stranger = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Admin, otherWorkspace: true));

        var strangersDelete = await stranger.DeleteAsync($"/api/v1/scenarios/{scenario.Id}");
        var runsAfterStrangersDelete = (await RunsTestData.GetRunsAsync(hub, scenario.Id)).Count;
        var delete = await admin.DeleteAsync($"/api/v1/scenarios/{scenario.Id}");

        Assert.Equal(HttpStatusCode.NotFound, strangersDelete.StatusCode);
        Assert.Equal(121, runsAfterStrangersDelete);
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
        Assert.Equal(2, (await RunsTestData.GetRunsAsync(hub, other.Id)).Count);
    }

    [Fact]
    public async Task HeaderValues_WhereCredentialsLive_AreHiddenFromCallersWhoMayNotEdit()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub, ScenarioTestData.ScenarioJson(change: j =>
        {
            j["source"] = new JsonObject { ["type"] = "http", ["url"] = "https://erp.example.com/orders", ["headers"] = new JsonObject { ["Authorization"] = "Bearer source-secret" } };
            j["target"] = new JsonObject { ["type"] = "http", ["url"] = "https://crm.example.com/in", ["headers"] = new JsonObject { ["X-Api-Key"] = "target-secret" } };
        }));

        foreach (var role in new[] { UserRole.Viewer, UserRole.Operator })
        {
            using var reader = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, role));
            var one = await reader.GetStringAsync($"/api/v1/scenarios/{scenario.Id}");
            var list = await reader.GetStringAsync("/api/v1/scenarios");
            foreach (var body in new[] { one, list })
            {
                Assert.DoesNotContain("secret", body, StringComparison.Ordinal);
                Assert.Contains("\"Authorization\":\"(hidden)\"", body, StringComparison.Ordinal);
                Assert.Contains("\"X-Api-Key\":\"(hidden)\"", body, StringComparison.Ordinal);
            }
        }
        using var editor = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Editor));
        var edited = (await editor.GetFromJsonAsync<ScenarioResponse>($"/api/v1/scenarios/{scenario.Id}", TestJson.Options))!;
        Assert.Equal("Bearer source-secret", edited.Source.Headers!["Authorization"]);
        Assert.Equal("target-secret", edited.Target.Headers!["X-Api-Key"]);
    }

    [Theory, AllDatabases]
    public async Task Viewer_MayRead_ButNotWrite(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var viewer = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Viewer));
        using var editor = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Editor));

        var read = await viewer.GetAsync($"/api/v1/scenarios/{scenario.Id}");
        var list = await viewer.GetFromJsonAsync<ScenarioPage>("/api/v1/scenarios", TestJson.Options);
        var create = await viewer.PostAsJsonAsync("/api/v1/scenarios", ScenarioTestData.ScenarioJson(), TestJson.Options);
        var replace = await viewer.PutAsJsonAsync($"/api/v1/scenarios/{scenario.Id}", ScenarioTestData.ScenarioJson(), TestJson.Options);
        var delete = await viewer.DeleteAsync($"/api/v1/scenarios/{scenario.Id}");
        var editorCreate = await editor.PostAsJsonAsync("/api/v1/scenarios", ScenarioTestData.ScenarioJson(), TestJson.Options);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(1, list!.Total);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, replace.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal(HttpStatusCode.Created, editorCreate.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task OtherWorkspace_CannotSeeOrChangeTheScenario(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var stranger = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Admin, otherWorkspace: true));

        var read = await stranger.GetAsync($"/api/v1/scenarios/{scenario.Id}");
        var list = await stranger.GetFromJsonAsync<ScenarioPage>("/api/v1/scenarios", TestJson.Options);
        var replace = await stranger.PutAsJsonAsync($"/api/v1/scenarios/{scenario.Id}", ScenarioTestData.ScenarioJson(), TestJson.Options);
        var delete = await stranger.DeleteAsync($"/api/v1/scenarios/{scenario.Id}");

        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal(0, list!.Total);
        Assert.Equal(HttpStatusCode.NotFound, replace.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
    }

    [Fact]
    public async Task WithoutCredentials_Returns401()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();

        var response = await client.GetAsync("/api/v1/scenarios");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    /// <summary>Sets a dotted path in the request; an empty value clears arrays and strings, digits become numbers.</summary>
    private static void Set(JsonObject json, string path, string value)
    {
        var parts = path.Split('.');
        var target = json;
        foreach (var part in parts[..^1])
        {
            target = (JsonObject)target[part]!;
        }
        if (path.StartsWith("source.url", StringComparison.Ordinal))
        {
            target["type"] = "http";
        }
        if (path.StartsWith("target.url", StringComparison.Ordinal))
        {
            target["type"] = "http";
        }
        if (path == "advanced.allowAnonymousTriggers")
        {
            // Anonymous triggers need external triggers: asking for them alone is the invalid part.
            target["enableExternalTriggers"] = false;
        }
        target[parts[^1]] = path switch
        {
            "target.keyFields" => new JsonArray(),
            _ when int.TryParse(value, out var number) => number,
            _ when bool.TryParse(value, out var flag) => flag,
            _ => value,
        };
    }
}
