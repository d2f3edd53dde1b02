using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Storage;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using IntegrationHub.Tests.Scenarios;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IntegrationHub.Tests.Storage;

public sealed class StorageEndpointsTests
{
    [Theory, AllDatabases]
    public async Task Put_ThenGet_ReturnsTheValue_ByCanonicalKey(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var put = await PutAsync(client, scenario.Id, """{"b":1,"a":[true]}""", """{ "name": "Ada" }""");
        var get = await client.GetAsync(Url(scenario.Id, """{ "a": [true], "b": 1 }"""));

        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("Ada", (await get.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task KeyJsonGivenTwice_Is400SayingSo_OnEveryStorageCall_AndGetCacheData()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var twice = $"/api/v1/scenarios/{scenario.Id}/storage?keyJson=50&keyJson=42";

        var responses = new[]
        {
            await client.GetAsync(twice),
            await client.PutAsync(twice, new StringContent("1", Encoding.UTF8, "application/json")),
            await client.DeleteAsync(twice),
            await client.GetAsync($"/ExternalData/GetCacheData/{scenario.Id}?keyJson=50&keyJson=42"),
        };

        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("Several keyJson parameters", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        }
    }

    [Theory, AllDatabases]
    public async Task Put_ReplacesTheValue_AndDelete_RemovesIt(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        await PutAsync(client, scenario.Id, "\"k\"", "1");
        await PutAsync(client, scenario.Id, "\"k\"", "2");
        var replaced = await client.GetFromJsonAsync<int>(Url(scenario.Id, "\"k\""));
        var delete = await client.DeleteAsync(Url(scenario.Id, "\"k\""));
        var afterDelete = await client.GetAsync(Url(scenario.Id, "\"k\""));
        var deleteAgain = await client.DeleteAsync(Url(scenario.Id, "\"k\""));

        Assert.Equal(2, replaced);
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, afterDelete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, deleteAgain.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task List_PagesAndSearchesInsideKeys(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        foreach (var key in new[] { "\"apple\"", "\"banana\"", "\"apricot\"" })
        {
            await PutAsync(client, scenario.Id, key, "1");
        }

        var all = await client.GetFromJsonAsync<StorageListPage>($"/api/v1/scenarios/{scenario.Id}/storage?pageSize=2", TestJson.Options);
        var found = await client.GetFromJsonAsync<StorageListPage>($"/api/v1/scenarios/{scenario.Id}/storage?search=ap", TestJson.Options);
        // PostgreSQL's text cannot hold U+0000: compared there, the term was a 500.
        var withNul = await client.GetFromJsonAsync<StorageListPage>($"/api/v1/scenarios/{scenario.Id}/storage?search=ap%00", TestJson.Options);
        // (page - 1) * pageSize is past int.MaxValue here; in int it wrapped round to the first page.
        var pastTheEnd = await client.GetFromJsonAsync<StorageListPage>($"/api/v1/scenarios/{scenario.Id}/storage?page={int.MaxValue}&pageSize=200", TestJson.Options);
        var cachePastTheEnd = await client.GetFromJsonAsync<StorageListPage>($"/ExternalData/GetCacheData/{scenario.Id}?page={int.MaxValue}&pageSize=200", TestJson.Options);

        Assert.Equal(3, all!.Total);
        Assert.Equal(2, all.Items.Count);
        Assert.Equal(["apple", "apricot"], found!.Items.Select(i => i.Key.GetString()));
        Assert.Equal(0, withNul!.Total);
        Assert.Empty(pastTheEnd!.Items);
        Assert.Equal(3, pastTheEnd.Total);
        Assert.Empty(cachePastTheEnd!.Items);
        Assert.Equal(3, cachePastTheEnd.Total);
    }

    [Theory, AllDatabases]
    public async Task List_SearchFindsKeysHoldingCharactersTheCanonicalFormEscapes_AsTyped(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        // Stored as "caf\u00E9", "a\u003Cb", "\uD83D\uDE00 smile" and so on: the search looked for the characters as typed.
        foreach (var key in new[] { "\"café\"", "\"a<b\"", "\"😀 smile\"", "\"x_y\"", "\"xzy\"", """{"id":"Ünal & Co"}""" })
        {
            await PutAsync(client, scenario.Id, key, "1");
        }

        async Task<string[]> SearchAsync(string text) =>
            [.. (await client.GetFromJsonAsync<StorageListPage>(
                $"/api/v1/scenarios/{scenario.Id}/storage?search={Uri.EscapeDataString(text)}", TestJson.Options))!.Items.Select(i => i.Key.ToString()!)];

        Assert.Equal(["café"], await SearchAsync("café"));
        Assert.Equal(["a<b"], await SearchAsync("<"));
        Assert.Equal(["😀 smile"], await SearchAsync("😀"));
        // A LIKE wildcard in the search is a character like any other.
        Assert.Equal(["x_y"], await SearchAsync("_"));
        Assert.Single(await SearchAsync("\"id\":\"Ünal &"));
    }

    [Theory, AllDatabases]
    public async Task Delete_OfAnEntryPastItsTtl_Is404LikeItsRead_AndRemovesIt(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        // Written an hour ago with a minute to live: expired now, without waiting.
        var anHourAgo = ActivatorUtilities.CreateInstance<ScenarioStorage>(hub.Services, (TimeProvider)new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-1)));
        await using var db = await RunsTestData.CreateDbAsync(hub);
        var workspaceId = await db.Scenarios.Where(s => s.Id == scenario.Id).Select(s => s.WorkspaceId).SingleAsync();
        await anHourAgo.SetAsync(workspaceId, scenario.Id, "\"ttl\"", "1", TimeSpan.FromMinutes(1), CancellationToken.None);

        var get = await client.GetAsync(Url(scenario.Id, "\"ttl\""));
        var delete = await client.DeleteAsync(Url(scenario.Id, "\"ttl\""));

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        await IdentityTestClient.AssertProblemAsync(delete, HttpStatusCode.NotFound);
        Assert.False(await db.StorageEntries.AnyAsync(e => e.ScenarioId == scenario.Id));
    }

    [Theory, AllDatabases]
    public async Task Put_WithTtl_StoresAnExpiry(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var put = await client.PutAsync($"{Url(scenario.Id, "1")}&ttlSeconds=3600", new StringContent("1", Encoding.UTF8, "application/json"));
        var list = await client.GetFromJsonAsync<StorageListPage>($"/api/v1/scenarios/{scenario.Id}/storage", TestJson.Options);
        var badTtl = await client.PutAsync($"{Url(scenario.Id, "1")}&ttlSeconds=0", new StringContent("1", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        Assert.True(Assert.Single(list!.Items).ExpiresAt > DateTimeOffset.UtcNow.AddMinutes(50));
        Assert.Equal(HttpStatusCode.BadRequest, badTtl.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task EntryPastItsTtl_IsGone_FromGetListAndGetCacheData_WhileOthersStay(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        await client.PutAsync($"{Url(scenario.Id, "\"short\"")}&ttlSeconds=1", new StringContent("1", Encoding.UTF8, "application/json"));
        await PutAsync(client, scenario.Id, "\"kept\"", "2");

        // Wait out the second the short entry lives.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var get = await client.GetAsync(Url(scenario.Id, "\"short\""));
        var cache = await client.GetAsync($"/ExternalData/GetCacheData/{scenario.Id}?keyJson=%22short%22");
        var list = await client.GetFromJsonAsync<StorageListPage>($"/api/v1/scenarios/{scenario.Id}/storage", TestJson.Options);

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, cache.StatusCode);
        Assert.Equal(["kept"], list!.Items.Select(i => i.Key.GetString()));
        Assert.Equal(2, await client.GetFromJsonAsync<int>(Url(scenario.Id, "\"kept\"")));
    }

    [Theory, AllDatabases]
    public async Task MalformedKeyOrBody_Returns400Problem(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var badKey = await client.GetAsync(Url(scenario.Id, "{oops"));
        var badBody = await client.PutAsync(Url(scenario.Id, "1"), new StringContent("{\"a\":", Encoding.UTF8, "application/json"));
        var noKey = await client.PutAsync($"/api/v1/scenarios/{scenario.Id}/storage", new StringContent("1", Encoding.UTF8, "application/json"));

        foreach (var response in new[] { badKey, badBody, noKey })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Contains("keyJson", await badKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyThatIsNotJson_Is400InOneStatement_WithoutTheJsonReadersOwnWords()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var response = await client.GetAsync(Url(scenario.Id, "not json"));

        var problem = await IdentityTestClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(
            "keyJson is not valid JSON (it breaks at position 2); a text key is written in double quotes, such as \"order-1\".",
            problem.GetProperty("errors").GetProperty("keyJson")[0].GetString());
    }

    [Fact]
    public async Task KeyOverTheLimitOnlyOnceEscaped_Is400SayingTheStoredFormIsCounted()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        // 362 bytes as sent, 1,082 as stored ("\u00E9" for each é).
        var response = await client.PutAsync(Url(scenario.Id, "\"" + new string('é', 180) + "\""), new StringContent("1", Encoding.UTF8, "application/json"));

        var problem = await IdentityTestClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        var error = problem.GetProperty("errors").GetProperty("keyJson")[0].GetString();
        Assert.Contains("as it is stored", error, StringComparison.Ordinal);
        Assert.Contains("6-byte \\uXXXX escape", error, StringComparison.Ordinal);
        Assert.EndsWith("this one has 1,082.", error, StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task Put_ValueAsDeepAsAllowed_IsStoredAndReadBack_OneLevelMoreIs400(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var deepest = Nested(HubJson.MaxValueDepth);

        await PutAsync(client, scenario.Id, "\"deep\"", deepest);
        var get = await client.GetAsync(Url(scenario.Id, "\"deep\""));
        var list = await client.GetAsync($"/api/v1/scenarios/{scenario.Id}/storage");
        var tooDeep = await client.PutAsync(Url(scenario.Id, "\"deeper\""), new StringContent(Nested(HubJson.MaxValueDepth + 1), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(deepest, await get.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooDeep.StatusCode);
        Assert.Contains("nests deeper than 256 levels", await tooDeep.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task UnpairedSurrogate_InKeyOrValue_Is400_AndTheScenariosStorageStaysReadable(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        await PutAsync(client, scenario.Id, "1", "\"fine\"");

        var badKey = await client.GetAsync(Url(scenario.Id, "\"\\ud800\""));
        var badValue = await client.PutAsync(Url(scenario.Id, "2"), new StringContent("{\"s\":\"\\ud800\"}", Encoding.UTF8, "application/json"));
        var list = await client.GetAsync($"/api/v1/scenarios/{scenario.Id}/storage");

        Assert.Equal(HttpStatusCode.BadRequest, badKey.StatusCode);
        Assert.Contains("not valid Unicode", await badKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badValue.StatusCode);
        Assert.Contains("not valid Unicode", await badValue.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(1, (await list.Content.ReadFromJsonAsync<StorageListPage>())!.Total);
    }

    [Fact]
    public async Task Put_BodyIsDecodedByItsCharset_Strictly()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var utf16 = await PutBytesAsync("1", Encoding.Unicode.GetBytes("""{"city":"Zürich"}"""), "application/json; charset=utf-16");
        var withByteOrderMark = await PutBytesAsync("2", [.. Encoding.UTF8.Preamble, .. "\"Köln\""u8], "application/json");
        var invalidUtf8 = await PutBytesAsync("3", [.. "{\"a\":\"caf"u8, 0xE9, .. "\"}"u8], "application/json");
        var unknownCharset = await PutBytesAsync("4", "1"u8.ToArray(), "application/json; charset=foo");

        Assert.Equal(HttpStatusCode.NoContent, utf16.StatusCode);
        Assert.Equal("Zürich", (await client.GetFromJsonAsync<JsonElement>(Url(scenario.Id, "1"))).GetProperty("city").GetString());
        Assert.Equal(HttpStatusCode.NoContent, withByteOrderMark.StatusCode);
        Assert.Equal("Köln", await client.GetFromJsonAsync<string>(Url(scenario.Id, "2")));
        var invalid = await IdentityTestClient.ReadProblemAsync(invalidUtf8, HttpStatusCode.BadRequest);
        Assert.Contains("not valid UTF-8 at byte offset 9", invalid.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await IdentityTestClient.AssertProblemAsync(unknownCharset, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(Url(scenario.Id, "3"))).StatusCode);

        async Task<HttpResponseMessage> PutBytesAsync(string key, byte[] body, string contentType)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
            return await client.PutAsync(Url(scenario.Id, key), content);
        }
    }

    [Theory, AllDatabases]
    public async Task Put_KeyLongerThanAKeyMayBe_Is400SayingSo_AndAKeyOfTheLongestLengthIsStored(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        // Canonical JSON strings: the quotes count. Random letters, so PostgreSQL cannot compress the index entry.
        var longest = "\"" + RandomLetters(StorageKey.MaxBytes - 2) + "\"";
        var tooLong = "\"" + RandomLetters(StorageKey.MaxBytes - 1) + "\"";

        var refused = await client.PutAsync(Url(scenario.Id, tooLong), new StringContent("1", Encoding.UTF8, "application/json"));
        await PutAsync(client, scenario.Id, longest, "2");

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains($"at most {StorageKey.MaxBytes:N0} bytes", problem.GetProperty("errors").GetProperty("keyJson")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(2, await client.GetFromJsonAsync<int>(Url(scenario.Id, longest)));
        // Reading it is refused the same way: a 404 would say a value could be stored under it.
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync(Url(scenario.Id, tooLong))).StatusCode);
    }

    internal static string RandomLetters(int length) =>
        new(Enumerable.Range(0, length).Select(_ => (char)('a' + Random.Shared.Next(26))).ToArray());

    [Theory, AllDatabases]
    public async Task Put_ValueOverMaxValueBytes_Is413Problem_WithOrWithoutContentLength(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?> { ["Storage:MaxValueBytes"] = "1024" });
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var tooLarge = "\"" + new string('v', 1024) + "\"";

        await PutAsync(client, scenario.Id, "\"fits\"", "\"" + new string('v', 1000) + "\"");
        var sized = await client.PutAsync(Url(scenario.Id, "\"big\""), new StringContent(tooLarge, Encoding.UTF8, "application/json"));
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(tooLarge)));
        chunked.Headers.ContentType = new("application/json");
        using var chunkedRequest = new HttpRequestMessage(HttpMethod.Put, Url(scenario.Id, "\"big\"")) { Content = chunked };
        chunkedRequest.Headers.TransferEncodingChunked = true;
        var streamed = await client.SendAsync(chunkedRequest);

        foreach (var response in new[] { sized, streamed })
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("Storage:MaxValueBytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(Url(scenario.Id, "\"big\""))).StatusCode);
    }

    [Theory, AllDatabases]
    public async Task Put_CompressedValueOverMaxValueBytesOnceDecoded_Is413Problem(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?> { ["Storage:MaxValueBytes"] = "1024" });
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        // A few dozen bytes on the wire, 100 times the limit once decoded; the compressed length was all that was checked.
        var tooLarge = Gzipped("\"" + new string('v', 100 * 1024) + "\"");
        var fits = Gzipped("\"" + new string('v', 1000) + "\"");

        var refused = await client.PutAsync(Url(scenario.Id, "\"big\""), tooLarge);
        var stored = await client.PutAsync(Url(scenario.Id, "\"fits\""), fits);

        var problem = await IdentityTestClient.ReadProblemAsync(refused, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("Storage:MaxValueBytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(Url(scenario.Id, "\"big\""))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, stored.StatusCode);
        Assert.Equal(1000, (await client.GetFromJsonAsync<string>(Url(scenario.Id, "\"fits\"")))!.Length);

        static ByteArrayContent Gzipped(string json)
        {
            using var coded = new MemoryStream();
            using (var gzip = new System.IO.Compression.GZipStream(coded, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(Encoding.UTF8.GetBytes(json));
            }
            var content = new ByteArrayContent(coded.ToArray());
            content.Headers.ContentType = new("application/json");
            content.Headers.ContentEncoding.Add("gzip");
            return content;
        }
    }

    [Theory, AllDatabases]
    public async Task Put_NotJson_Is415_OnlyAfterTheCallerAndTheScenarioWereChecked(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var admin = hub.CreateAdminClient();
        using var stranger = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Admin, otherWorkspace: true));
        using var anonymous = hub.CreateHttpClient();
        HttpContent Text() => new StringContent("1", Encoding.UTF8, "text/plain");

        var own = await admin.PutAsync(Url(scenario.Id, "1"), Text());
        var foreign = await stranger.PutAsync(Url(scenario.Id, "1"), Text());
        var unauthenticated = await anonymous.PutAsync(Url(scenario.Id, "1"), Text());

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, own.StatusCode);
        Assert.Contains("application/json", await own.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task NumericKeys_CompareAsNumbers(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        await PutAsync(client, scenario.Id, "42", "\"answer\"");
        await PutAsync(client, scenario.Id, """{"id":1e21}""", "\"large\"");

        foreach (var key in new[] { "42", "42.0", "4.2e1", "420e-1" })
        {
            Assert.Equal("answer", await client.GetFromJsonAsync<string>(Url(scenario.Id, key)));
        }
        Assert.Equal("large", await client.GetFromJsonAsync<string>(Url(scenario.Id, """{"id":1000000000000000000000}""")));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(Url(scenario.Id, "43"))).StatusCode);
        // Infinity to JavaScript, which no script can write as a key: refused, where it was stored as a key of its own.
        var beyondDouble = await client.PutAsync(Url(scenario.Id, """{"id":1e400}"""), new StringContent("1", Encoding.UTF8, "application/json"));
        Assert.Contains("1e400", (await IdentityTestClient.ReadProblemAsync(beyondDouble, HttpStatusCode.BadRequest)).GetRawText(), StringComparison.Ordinal);
    }

    [Theory, AllDatabases]
    public async Task Viewer_MayRead_ButNotWrite(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var admin = hub.CreateAdminClient();
        await PutAsync(admin, scenario.Id, "1", "1");
        using var viewer = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Viewer));

        var read = await viewer.GetAsync(Url(scenario.Id, "1"));
        var write = await viewer.PutAsync(Url(scenario.Id, "1"), new StringContent("2", Encoding.UTF8, "application/json"));
        var delete = await viewer.DeleteAsync(Url(scenario.Id, "1"));

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task OtherWorkspace_Gets404(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var admin = hub.CreateAdminClient();
        await PutAsync(admin, scenario.Id, "1", "1");
        using var stranger = hub.CreateHttpClient(await ScenarioTestData.CreateUserTokenAsync(hub, UserRole.Admin, otherWorkspace: true));

        var read = await stranger.GetAsync(Url(scenario.Id, "1"));
        var write = await stranger.PutAsync(Url(scenario.Id, "1"), new StringContent("2", Encoding.UTF8, "application/json"));
        var delete = await stranger.DeleteAsync(Url(scenario.Id, "1"));

        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, write.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        Assert.Equal(1, await admin.GetFromJsonAsync<int>(Url(scenario.Id, "1")));
    }

    /// <summary>An array nested <paramref name="depth"/> levels deep, the innermost holding 1.</summary>
    private static string Nested(int depth) => new string('[', depth) + "1" + new string(']', depth);

    private static string Url(Guid scenarioId, string keyJson) =>
        $"/api/v1/scenarios/{scenarioId}/storage?keyJson={Uri.EscapeDataString(keyJson)}";

    private static async Task<HttpResponseMessage> PutAsync(HttpClient client, Guid scenarioId, string keyJson, string valueJson)
    {
        var response = await client.PutAsync(Url(scenarioId, keyJson), new StringContent(valueJson, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        return response;
    }
}
