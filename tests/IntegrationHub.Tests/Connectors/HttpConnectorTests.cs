using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using IntegrationHub.Connectors;
using IntegrationHub.Connectors.Http;
using IntegrationHub.Data;
using IntegrationHub.Scenarios;
using IntegrationHub.Storage;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tests.Connectors;

/// <summary>A hub whose http connectors retry after 50 ms instead of a second, shared by the http connector tests.</summary>
public sealed class ConnectorHubFixture : IAsyncLifetime
{
    public static readonly Dictionary<string, string?> Settings = new()
    {
        ["Connectors:HttpRetryDelay"] = "00:00:00.050",
        ["Connectors:HttpRetryAttempts"] = "3",
    };

    internal HubHost Hub { get; private set; } = null!;

    internal ConnectorRegistry Registry => Hub.Services.GetRequiredService<ConnectorRegistry>();

    public async Task InitializeAsync() => Hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, Settings);

    public async Task DisposeAsync() => await Hub.DisposeAsync();
}

public sealed class HttpConnectorTests(ConnectorHubFixture fixture) : IClassFixture<ConnectorHubFixture>
{
    [Fact]
    public async Task HttpSource_JsonArray_GivesOneRecordPerElementAndSendsTheHeaders()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (200, """[{"id":1},{"id":2},3]"""));
        var scenario = Scenario(source: new SourceSettings("http", server.Url("orders?page=1"), new Dictionary<string, string> { ["X-Api-Key"] = "secret-1" }));

        var records = await fixture.Registry.FindSource("http")!.ReadAsync(scenario, CancellationToken.None);

        Assert.Equal(["""{"id":1}""", """{"id":2}""", "3"], records.Select(r => r.GetRawText()));
        var request = Assert.Single(server.Received);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/orders?page=1", request.Path);
        Assert.Equal("secret-1", request.Headers["X-Api-Key"]);
    }

    [Fact]
    public async Task HttpSource_JsonObject_GivesOneRecord()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (200, """{"items":[1,2]}"""));

        var records = await fixture.Registry.FindSource("HTTP")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("one"))), CancellationToken.None);

        Assert.Equal("""{"items":[1,2]}""", Assert.Single(records).GetRawText());
    }

    [Fact]
    public async Task HttpSource_RedirectToAFileUrl_FailsNotRetryable_WithoutReadingIt()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (302, "file:///etc/passwd"));

        var failure = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("moved"))), CancellationToken.None));

        Assert.False(failure.Retryable);
        Assert.StartsWith("The http source: GET ", failure.Message, StringComparison.Ordinal);
        Assert.Contains("redirected to an address that is not an http url", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/", "169.254.169.254")]
    [InlineData("http://[::ffff:169.254.169.254]/latest/meta-data/", "169.254.169.254")]
    [InlineData("http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254")]
    [InlineData("http://168.63.129.16/machine?comp=goalstate", "168.63.129.16")]
    // The unspecified addresses reach this machine's listeners.
    [InlineData("http://0.0.0.0:9/", "0.0.0.0")]
    [InlineData("http://[::]:9/", "::")]
    [InlineData("http://[::ffff:0.0.0.0]:9/", "::ffff:0:0")]
    public async Task HttpSource_AtADefaultBlockedAddress_FailsNotRetryable_WithoutCallingIt(string url, string address)
    {
        var failure = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", url)), CancellationToken.None));

        Assert.False(failure.Retryable);
        Assert.Contains("was not called", failure.Message, StringComparison.Ordinal);
        Assert.Contains(address, failure.Message, StringComparison.Ordinal);
        Assert.Contains("Connectors:HttpBlockedNetworks", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpSource_RedirectToACloudMetadataAddress_IsNotFollowed()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (302, "http://169.254.169.254/latest/meta-data/iam/"));

        var failure = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("moved"))), CancellationToken.None));

        Assert.False(failure.Retryable);
        // It said "GET .../moved was not called", although that address was called and answered the redirect.
        Assert.StartsWith(
            $"The http source: GET http://169.254.169.254/latest/meta-data/iam/ (redirected from {server.Url("moved")}) was not called: ",
            failure.Message, StringComparison.Ordinal);
        Assert.Single(server.Received);
    }

    // The message named the address first requested, which had answered 302, not the one that answered 404.
    [Fact]
    public async Task HttpSource_RedirectedToAnAddressThatFails_NamesThatAddress()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, n) => n == 0 ? (302, "/v2/orders?page=1") : (404, "{}"));

        var failure = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("orders?token=secret"))), CancellationToken.None));

        Assert.False(failure.Retryable);
        Assert.Equal($"The http source: GET {server.Url("v2/orders")} (redirected from {server.Url("orders")}) answered 404 Not Found: {{}}", failure.Message);
    }

    [Fact]
    public async Task HttpTarget_SendsTextAsJsonWritesIt_NotEscapingQuotesPlusOrAccentsAsUnicode()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (200, "{}"));

        await fixture.Registry.FindTarget("http")!.WriteAsync(
            Run(Scenario(target: new TargetSettings("http", server.Url("in"), Batch: true))),
            Records("""[{"note":"say \"hi\" + <b>bye</b>","city":"Zürich"}]"""),
            CancellationToken.None);

        Assert.Equal("""[{"note":"say \"hi\" + <b>bye</b>","city":"Zürich"}]""", Assert.Single(server.Received).Body);
    }

    [Fact]
    public async Task HttpTarget_RedirectedToAnAddressThatRefusesTheRecord_NamesThatAddress()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, n) => n == 0 ? (307, "/v2/in") : (400, "{}"));

        var failure = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindTarget("http")!.WriteAsync(Run(Scenario(target: new TargetSettings("http", server.Url("in")))), Records("[{}]"), CancellationToken.None));

        Assert.Equal($"Record 1 of 1: The http target: POST {server.Url("v2/in")} (redirected from {server.Url("in")}) answered 400 Bad Request: {{}}", failure.Message);
    }

    [Fact]
    public async Task HttpSource_RedirectToAnotherOrigin_IsFollowedWithoutTheScenariosHeaders()
    {
        await using var elsewhere = await LoopbackHttpServer.StartAsync((_, _) => (200, """[{"id":1}]"""));
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (302, elsewhere.Url("moved-here")));
        var headers = new Dictionary<string, string> { ["X-Api-Key"] = "secret-1", ["Authorization"] = "Bearer secret-2" };

        var records = await fixture.Registry.FindSource("http")!.ReadAsync(
            Scenario(source: new SourceSettings("http", server.Url("orders"), headers)), CancellationToken.None);

        Assert.Equal("""{"id":1}""", Assert.Single(records).GetRawText());
        Assert.Equal("secret-1", Assert.Single(server.Received).Headers["X-Api-Key"]);
        var followed = Assert.Single(elsewhere.Received);
        Assert.Equal("/moved-here", followed.Path);
        Assert.False(followed.Headers.ContainsKey("X-Api-Key"));
        Assert.False(followed.Headers.ContainsKey("Authorization"));
        Assert.Equal("application/json", followed.Headers["Accept"]);
    }

    [Fact]
    public async Task HttpSource_RedirectWithinTheOrigin_KeepsTheScenariosHeaders()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, n) => n == 0 ? (301, "/v2/orders") : (200, "[]"));

        await fixture.Registry.FindSource("http")!.ReadAsync(
            Scenario(source: new SourceSettings("http", server.Url("orders"), new Dictionary<string, string> { ["X-Api-Key"] = "secret-1" })),
            CancellationToken.None);

        Assert.Equal(["/orders", "/v2/orders"], server.Received.Select(r => r.Path));
        Assert.All(server.Received, r => Assert.Equal("secret-1", r.Headers["X-Api-Key"]));
    }

    [Fact]
    public async Task HttpSource_RedirectLoop_FailsNotRetryable_AfterTheLastRedirectFollowed()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (302, "/again"));

        var failure = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("loop"))), CancellationToken.None));

        Assert.False(failure.Retryable);
        Assert.Contains($"redirected more than {HttpConnectorClient.MaxRedirects} times", failure.Message, StringComparison.Ordinal);
        Assert.Equal(HttpConnectorClient.MaxRedirects + 1, server.Received.Count);
    }

    [Theory]
    [InlineData(307, "POST", """{"id":1}""")]
    [InlineData(308, "POST", """{"id":1}""")]
    [InlineData(303, "GET", "")]
    [InlineData(302, "GET", "")]
    public async Task HttpTarget_Redirected_RepeatsThePostOn307And308_AndFetchesWithGetOtherwise(int status, string method, string body)
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, n) => n == 0 ? (status, "/moved") : (200, "{}"));
        var scenario = Scenario(target: new TargetSettings("http", server.Url("in"), Headers: new Dictionary<string, string> { ["X-Api-Key"] = "k" }));

        await fixture.Registry.FindTarget("http")!.WriteAsync(Run(scenario), Records("""[{"id":1}]"""), CancellationToken.None);

        var followed = server.Received[1];
        Assert.Equal(("/moved", method, body), (followed.Path, followed.Method, followed.Body));
        Assert.Equal("k", followed.Headers["X-Api-Key"]);
    }

    [Fact]
    public async Task BlockedNetworks_AreConfigurable_AndThenBlockLoopbackToo()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["Connectors:HttpBlockedNetworks"] = "127.0.0.0/8, ::1/128",
            // A blocked address stays blocked, so the call is not retried: a retry would wait long past the total
            // timeout (the second retry waits at least ~40 s) and fail as a retryable timeout instead.
            ["Connectors:HttpRetryDelay"] = "00:01:00",
            ["Connectors:HttpTotalTimeout"] = "00:00:02",
        });
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (200, "[]"));
        var registry = hub.Services.GetRequiredService<ConnectorRegistry>();

        var failure = await Assert.ThrowsAsync<ConnectorException>(() =>
            registry.FindTarget("http")!.WriteAsync(Run(Scenario(target: new TargetSettings("http", server.Url("orders")))), Records("[{}]"), CancellationToken.None));

        Assert.False(failure.Retryable);
        Assert.Contains("127.0.0.1", failure.Message, StringComparison.Ordinal);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task CookiesAServiceSets_AreNotSentBack_SoNoScenarioCarriesAnothersSession()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (200, "[]"));
        var source = new SourceSettings("http", server.Url("orders"));

        await fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: source), CancellationToken.None);
        await fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: source), CancellationToken.None);

        Assert.Equal(2, server.Received.Count);
        Assert.All(server.Received, request => Assert.False(request.Headers.ContainsKey("Cookie")));
    }

    [Fact]
    public async Task HttpSource_NotJson_FailsNotRetryable()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (200, "<html>"));

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("page"))), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Contains("not JSON", error.Message, StringComparison.Ordinal);
    }

    // The message was System.Text.Json's: "LineNumber: 0 | BytePositionInLine: 0", counted from 0 unlike the hub's.
    [Theory]
    [InlineData("text/plain", "hello world", "(text/plain): 'h' is an invalid start of a value, at line 1, position 1.")]
    [InlineData("application/json", "[1,\n 2,\n x]", "(application/json): 'x' is an invalid start of a value, at line 3, position 2.")]
    public async Task HttpSource_NotJson_SaysWhereItBreaks_CountingFromOne(string contentType, string body, string expected)
    {
        await using var server = await ServeAsync(contentType, Encoding.UTF8.GetBytes(body));

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("page"))), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Equal($"The http source answered with something that is not JSON {expected}", error.Message);
    }

    // Valid JSON, yet it was called "not JSON": "The maximum configured depth of 256 has been exceeded".
    [Theory]
    [InlineData(HubJson.MaxValueDepth + 1)]
    [InlineData(100_000)]
    public async Task HttpSource_JsonNestedDeeperThanTheHubHolds_SaysSo(int depth)
    {
        await using var server = await ServeAsync("application/json", Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth)));

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("deep"))), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Equal($"The http source answered with JSON the hub cannot hold: it nests deeper than {HubJson.MaxValueDepth} levels.", error.Message);
    }

    // Past the limit the answer was downloaded again by every attempt of the run, which failed each time with .NET's
    // "Cannot write more bytes to the buffer than the configured maximum buffer size".
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HttpSource_AnswerOverTheLimit_FailsNotRetryable_NamingTheSetting(bool declaresItsLength)
    {
        var body = Encoding.UTF8.GetBytes($"\"{new string('a', 16 << 20)}\"");
        await using var server = await LoopbackHttpServer.StartAsync(async (_, _, response) =>
        {
            response.ContentType = "application/json";
            response.ContentLength = declaresItsLength ? body.Length : null;
            await response.Body.WriteAsync(body);
        });

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("big"))), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Contains("larger than Connectors:HttpMaxResponseBytes (16,777,216 bytes)", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Received);
    }

    // Only UTF-8 was read: a byte order mark made the body "not JSON", and Latin-1's "ë" silently became U+FFFD.
    [Theory]
    [InlineData("application/json", "utf-8", true)]
    [InlineData("application/json; charset=utf-16", "utf-16", false)]
    [InlineData("application/json; charset=\"ISO-8859-1\"", "iso-8859-1", false)]
    [InlineData("application/json; charset=windows-1252", "windows-1252", false)]
    public async Task HttpSource_BodyInTheCharsetItsContentTypeNames_OrWithAByteOrderMark_IsDecoded(string contentType, string charset, bool byteOrderMark)
    {
        var encoding = CodePagesEncodingProvider.Instance.GetEncoding(charset) ?? Encoding.GetEncoding(charset);
        await using var server = await ServeAsync(contentType, [.. byteOrderMark ? encoding.GetPreamble() : [], .. encoding.GetBytes("""[{"name":"Zoë"}]""")]);

        var records = await fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("people"))), CancellationToken.None);

        Assert.Equal("Zoë", Assert.Single(records).GetProperty("name").GetString());
    }

    // A gzipped answer was read as its compressed bytes: "not valid UTF-8 at byte offset 1".
    [Fact]
    public async Task HttpSource_CompressedAnswer_IsDecoded_AndTheRequestSaysWhichCodingsTheHubTakes()
    {
        using var compressed = new MemoryStream();
        await using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes("""[{"name":"Zoë"},{"name":"Ada"}]"""));
        }
        await using var server = await LoopbackHttpServer.StartAsync(async (_, _, response) =>
        {
            response.ContentType = "application/json";
            response.Headers.ContentEncoding = "gzip";
            await response.Body.WriteAsync(compressed.ToArray());
        });

        var records = await fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("people"))), CancellationToken.None);

        Assert.Equal(["Zoë", "Ada"], records.Select(r => r.GetProperty("name").GetString()));
        Assert.Contains("gzip", Assert.Single(server.Received).Headers["Accept-Encoding"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/json", "not valid UTF-8 at byte offset 12")]
    [InlineData("application/json; charset=x-klingon", "charset \"x-klingon\", which the hub does not decode")]
    public async Task HttpSource_BodyNotValidInItsCharset_OrInAnUnknownOne_FailsNotRetryable(string contentType, string expected)
    {
        await using var server = await ServeAsync(contentType, Encoding.Latin1.GetBytes("""[{"name":"Zoë"}]"""));

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("people"))), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Single(server.Received);
    }

    // The records were read, and the run failed later, retried, with "Cannot read incomplete UTF-16 JSON text as string".
    [Fact]
    public async Task HttpSource_JsonWithAnUnpairedSurrogate_FailsNotRetryable_SayingWhere()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (200, """[{"n":"\ud800"}]"""));

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("odd"))), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Contains("not valid Unicode (an unpaired surrogate) at position 7", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpSource_404_FailsNotRetryableWithoutRetrying()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (404, "{}"));

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("gone?token=abc"))), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Contains("404", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("token=abc", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Received);
    }

    // "GET http://user:s3cret@127.0.0.1:18431/status/404 answered 404" showed the password in the run's error and log.
    [Fact]
    public async Task HttpSource_UrlWithAPassword_FailsWithoutShowingIt()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (404, "{}"));
        var url = $"http://user:s3cret@{server.BaseAddress.Authority}/status/404";

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", url)), CancellationToken.None));

        Assert.Contains($"GET http://{server.BaseAddress.Authority}/status/404 answered 404", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpSource_RelativeUrl_FailsNotRetryable()
    {
        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", "/orders")), CancellationToken.None));

        Assert.False(error.Retryable);
    }

    [Fact]
    public async Task HttpTarget_PerRecord_SendsOneRequestPerRecordWithTheMethodAndHeaders()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (200, "{}"));
        var scenario = Scenario(target: new TargetSettings("http", server.Url("in"), "put", Headers: new Dictionary<string, string> { ["Authorization"] = "Bearer t" }));

        await fixture.Registry.FindTarget("http")!.WriteAsync(Run(scenario), Records("""[{"id":1},{"id":2}]"""), CancellationToken.None);

        Assert.Equal(["""{"id":1}""", """{"id":2}"""], server.Received.Select(r => r.Body));
        Assert.All(server.Received, r =>
        {
            Assert.Equal("PUT", r.Method);
            Assert.Equal("Bearer t", r.Headers["Authorization"]);
            Assert.StartsWith("application/json", r.Headers["Content-Type"], StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task HttpTarget_Batch_SendsOneArray()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (200, "{}"));
        var scenario = Scenario(target: new TargetSettings("http", server.Url("bulk"), "PATCH", Batch: true));

        await fixture.Registry.FindTarget("http")!.WriteAsync(Run(scenario), Records("""[{"id":1},{"id":2}]"""), CancellationToken.None);

        var request = Assert.Single(server.Received);
        Assert.Equal("PATCH", request.Method);
        Assert.Equal("""[{"id":1},{"id":2}]""", request.Body);
    }

    // The answer's body is not the target's business: reading it failed the record past the source's response limit
    // (16 MiB), and the record was sent again on the next attempt.
    [Theory]
    [InlineData(100, 17 << 20)]
    [InlineData(20 << 20, 0)]
    public async Task HttpTarget_LargeAnswer_OrALargeRecordEchoed_IsDeliveredOnce(int recordChars, int answerChars)
    {
        await using var server = await LoopbackHttpServer.StartAsync((request, _) =>
            (200, answerChars == 0 ? request.Body : $"\"{new string('a', answerChars)}\""));
        var record = $"[\"{new string('r', recordChars)}\"]";

        await fixture.Registry.FindTarget("http")!.WriteAsync(Run(Scenario(target: new TargetSettings("http", server.Url("echo")))), Records(record), CancellationToken.None);

        Assert.Equal(recordChars + 2, Assert.Single(server.Received).Body.Length);
    }

    [Fact]
    public async Task HttpTarget_503TwiceThen200_IsRetriedAndSucceeds()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, n) => n < 2 ? (503, "{}") : (200, "{}"));
        var scenario = Scenario(target: new TargetSettings("http", server.Url("flaky")));

        await fixture.Registry.FindTarget("http")!.WriteAsync(Run(scenario), Records("""[{"id":7}]"""), CancellationToken.None);

        Assert.Equal(3, server.Received.Count);
        Assert.All(server.Received, r => Assert.Equal("""{"id":7}""", r.Body));
    }

    // A record retried after a 500 reached the target twice, and the run's log said only "Wrote 2 records": a user
    // who found a duplicate in their ERP could not see that the hub had sent it twice.
    [Fact]
    public async Task HttpTarget_500ThenSuccess_TellsTheRunsLogOfTheRetry_NamingTheRecord()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, n) => n == 0 ? (500, "{}") : (200, "{}"));
        var log = new ConnectorTestLog();

        await fixture.Registry.FindTarget("http")!.WriteAsync(
            Run(Scenario(target: new TargetSettings("http", server.Url("orders"))), log), Records("""[{"id":1},{"id":2}]"""), CancellationToken.None);

        Assert.Equal(3, server.Received.Count);
        var warning = Assert.Single(log.Warnings);
        Assert.Matches(
            $@"^Record 1 of 2: The http target: POST {Regex.Escape(server.Url("orders"))} answered 500 Internal Server Error; trying again in [0-9.]+ s \(attempt 2 of 4\)\.$",
            warning);
    }

    // The warning goes to the run's log, which everyone who may see the run reads: the scenario's header values and
    // the url's query (an api_key) stay out of it, as they stay out of the run's error.
    [Fact]
    public async Task HttpSource_503ThenSuccess_TellsTheRunsLogOfTheRetry_WithoutTheQueryOrHeaderValues()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, n) => n == 0 ? (503, "{}") : (200, "[1]"));
        var log = new ConnectorTestLog();
        var source = new SourceSettings("http", server.Url("orders?api_key=query-secret-1"), new Dictionary<string, string> { ["X-Api-Key"] = "header-secret-2" });

        var records = await fixture.Registry.FindSource("http")!.ReadAsync(new SourceContext(Scenario(source: source), Guid.NewGuid(), log), CancellationToken.None);

        Assert.Single(records);
        var warning = Assert.Single(log.Warnings);
        Assert.StartsWith($"The http source: GET {server.Url("orders")} answered 503 Service Unavailable; trying again in ", warning, StringComparison.Ordinal);
        Assert.EndsWith(" s (attempt 2 of 4).", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpSource_NothingListening_TellsTheRunsLogOfEachRetry()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (200, "[]"));
        var url = server.Url("gone");
        await server.DisposeAsync();
        var log = new ConnectorTestLog();

        await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(new SourceContext(Scenario(source: new SourceSettings("http", url)), Guid.NewGuid(), log), CancellationToken.None));

        Assert.Collection(
            log.Warnings,
            w => Assert.Matches($@"^The http source: GET {Regex.Escape(url)} failed: .+; trying again in [0-9.]+ s \(attempt 2 of 4\)\.$", w),
            w => Assert.EndsWith("(attempt 3 of 4).", w, StringComparison.Ordinal),
            w => Assert.EndsWith("(attempt 4 of 4).", w, StringComparison.Ordinal));
    }

    [Fact]
    public async Task HttpTarget_Always500_FailsRetryableAfterTheRetries()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (500, "{}"));
        var scenario = Scenario(target: new TargetSettings("http", server.Url("broken")));

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindTarget("http")!.WriteAsync(Run(scenario), Records("""[{"id":1},{"id":2}]"""), CancellationToken.None));

        Assert.True(error.Retryable);
        Assert.StartsWith("Record 1 of 2:", error.Message, StringComparison.Ordinal);
        // It said "answered 500" after a wait that users took for a slow server: the hub had tried four times.
        Assert.EndsWith("answered 500 Internal Server Error on the last of 4 tries: {}", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, server.Received.Count);
    }

    [Fact]
    public async Task HttpTarget_400_FailsNotRetryable()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (400, "{}"));

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindTarget("http")!.WriteAsync(Run(Scenario(target: new TargetSettings("http", server.Url("strict")))), Records("[{}]"), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task HttpTarget_NothingListening_FailsRetryable()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (200, "{}"));
        var url = server.Url("gone");
        await server.DisposeAsync();

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindTarget("http")!.WriteAsync(Run(Scenario(target: new TargetSettings("http", url))), Records("[{}]"), CancellationToken.None));

        Assert.True(error.Retryable);
    }

    [Fact]
    public async Task HttpTarget_UnsupportedMethod_FailsNotRetryable()
    {
        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindTarget("http")!.WriteAsync(Run(Scenario(target: new TargetSettings("http", "http://127.0.0.1:1/", "DELETE"))), Records("[{}]"), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Contains("DELETE", error.Message, StringComparison.Ordinal);
    }

    // The run's error said "answered 422 Unprocessable Entity" and no more: why the target refused the record was in
    // the body, which users had to fetch with curl.
    [Fact]
    public async Task HttpTarget_4xxWithAProblemBody_TheErrorSaysWhatTheTargetSaid_AndWhichRecordsWereDelivered()
    {
        await using var server = await LoopbackHttpServer.StartAsync(async (_, n, response) =>
        {
            if (n < 2)
            {
                response.StatusCode = 201;
                return;
            }
            response.StatusCode = 422;
            response.ContentType = "application/problem+json";
            await response.WriteAsync("{\n  \"title\": \"Unprocessable\",\n  \"detail\": \"sku ABC is unknown\"\n}");
        });

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindTarget("http")!.WriteAsync(Run(Scenario(target: new TargetSettings("http", server.Url("orders")))), Records("[1,2,3,4]"), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Equal(
            $$"""Record 3 of 4: The http target: POST {{server.Url("orders")}} answered 422 Unprocessable Entity: { "title": "Unprocessable", "detail": "sku ABC is unknown" }. Records 1 to 2 were delivered before it.""",
            error.Message);
        Assert.Equal(3, server.Received.Count);
    }

    [Theory]
    [InlineData("text/plain; charset=utf-8", "Token expired", "Token expired")]
    [InlineData("application/xml", "<error><code>42</code></error>", "<error><code>42</code></error>")]
    [InlineData("text/html", "<html><body><h1>Unauthorized</h1></body></html>", null)]
    [InlineData("text/plain", "<!DOCTYPE html><html><body>Unauthorized</body></html>", null)]
    [InlineData("application/octet-stream", "\u0001\u0002binary", null)]
    [InlineData("application/json", "", null)]
    public async Task HttpSource_4xx_TheErrorShowsATextBody_ButNotAnHtmlPageOrBytes(string contentType, string body, string? shown)
    {
        await using var server = await LoopbackHttpServer.StartAsync(async (_, _, response) =>
        {
            response.StatusCode = 401;
            response.ContentType = contentType;
            await response.WriteAsync(body);
        });

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("orders"))), CancellationToken.None));

        Assert.Equal($"The http source: GET {server.Url("orders")} answered 401 Unauthorized{(shown is null ? "." : ": " + shown)}", error.Message);
    }

    [Fact]
    public async Task HttpSource_LongErrorBody_IsCutForTheMessage_AndNotDownloadedWhole()
    {
        await using var server = await LoopbackHttpServer.StartAsync(async (_, _, response) =>
        {
            response.StatusCode = 400;
            response.ContentType = "text/plain";
            // Far more than the hub reads: it must stop, not wait for the rest.
            for (var i = 0; i < 1000 && !response.HttpContext.RequestAborted.IsCancellationRequested; i++)
            {
                await response.WriteAsync(new string('x', 10_000));
            }
        });

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("orders"))), CancellationToken.None));

        Assert.EndsWith($"answered 400 Bad Request: {new string('x', ErrorAnswer.MaxChars)}…", error.Message, StringComparison.Ordinal);
    }

    // A gateway's debug answer echoes the request: the scenario's API key would be in the run's error for every viewer.
    [Fact]
    public async Task HttpSource_ErrorBodyEchoingTheRequest_DoesNotShowTheScenariosHeaderValuesOrQuery()
    {
        await using var server = await LoopbackHttpServer.StartAsync(async (request, _, response) =>
        {
            response.StatusCode = 403;
            response.ContentType = "application/json";
            await response.WriteAsync(JsonSerializer.Serialize(new { path = request.Path, key = request.Headers["X-Api-Key"], auth = request.Headers["Authorization"] }));
        });
        var headers = new Dictionary<string, string> { ["X-Api-Key"] = "key-0123456789", ["Authorization"] = "Bearer token-abcdefghij" };

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("orders?api_key=query-secret-1"), headers)), CancellationToken.None));

        Assert.Contains("""answered 403 Forbidden: {"path":"/orders?api_key=***","key":"***","auth":"***"}""", error.Message, StringComparison.Ordinal);
    }

    // The status is what fails the call; a body that stalls after it must not turn a 400 into a timeout that is retried.
    [Fact]
    public async Task HttpTarget_400WhoseBodyNeverEnds_FailsNotRetryable_WithTheStatus()
    {
        await using var server = await LoopbackHttpServer.StartAsync(async (_, _, response) =>
        {
            response.StatusCode = 400;
            response.ContentType = "application/json";
            await response.WriteAsync("{\"detail\":");
            await response.Body.FlushAsync();
            await Task.Delay(Timeout.InfiniteTimeSpan, response.HttpContext.RequestAborted);
        });

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindTarget("http")!.WriteAsync(Run(Scenario(target: new TargetSettings("http", server.Url("in")))), Records("[{}]"), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Equal($"Record 1 of 1: The http target: POST {server.Url("in")} answered 400 Bad Request.", error.Message);
        Assert.Single(server.Received);
    }

    // GitHub's API and many web application firewalls refuse a request without a User-Agent, and .NET sends none.
    [Fact]
    public async Task HttpConnectors_SendAUserAgent_UnlessTheScenarioNamesItsOwn()
    {
        await using var server = await LoopbackHttpServer.StartAsync((_, _) => (200, "[]"));

        await fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("plain"))), CancellationToken.None);
        await fixture.Registry.FindSource("http")!.ReadAsync(
            Scenario(source: new SourceSettings("http", server.Url("own"), new Dictionary<string, string> { ["User-Agent"] = "acme-sync/2" })), CancellationToken.None);
        await fixture.Registry.FindTarget("http")!.WriteAsync(Run(Scenario(target: new TargetSettings("http", server.Url("in")))), Records("[{}]"), CancellationToken.None);

        Assert.Equal([HttpConnectorClient.UserAgent, "acme-sync/2", HttpConnectorClient.UserAgent], server.Received.Select(r => r.Headers["User-Agent"]));
        Assert.StartsWith("IntegrationHub/", HttpConnectorClient.UserAgent, StringComparison.Ordinal);
    }

    // An empty body was no records, and a body of a line break (what many frameworks send for nothing) failed the run
    // as "not JSON".
    [Theory]
    [InlineData("\n")]
    [InlineData(" \r\n\t ")]
    public async Task HttpSource_BodyOfOnlyWhiteSpace_IsNoRecords(string body)
    {
        await using var server = await ServeAsync("application/json", Encoding.UTF8.GetBytes(body));

        var records = await fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("none"))), CancellationToken.None);

        Assert.Empty(records);
    }

    // An answer in a coding the hub did not ask for failed as "not valid UTF-8 at byte offset 1".
    [Fact]
    public async Task HttpSource_AnswerInAContentEncodingTheHubDoesNotDecode_FailsNotRetryable_NamingIt()
    {
        await using var server = await LoopbackHttpServer.StartAsync(async (_, _, response) =>
        {
            response.ContentType = "application/json";
            response.Headers.ContentEncoding = "zstd";
            await response.Body.WriteAsync(new byte[] { 0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x58, 0x11, 0x00, 0x00 });
        });

        var error = await Assert.ThrowsAsync<ConnectorException>(() =>
            fixture.Registry.FindSource("http")!.ReadAsync(Scenario(source: new SourceSettings("http", server.Url("packed"))), CancellationToken.None));

        Assert.False(error.Retryable);
        Assert.Equal("The http source answered in the Content-Encoding \"zstd\", which the hub does not decode (it asks for gzip, deflate or br).", error.Message);
        Assert.Single(server.Received);
    }

    [Fact]
    public void Registry_KnowsTheBuiltInTypesCaseInsensitivelyAndNotOthers()
    {
        Assert.Equal("storage", fixture.Registry.FindSource("Storage")?.Type);
        Assert.Equal("none", fixture.Registry.FindTarget(" NONE ")?.Type);
        Assert.Null(fixture.Registry.FindSource("ftp"));
        Assert.Null(fixture.Registry.FindTarget(null));
        Assert.Equal(["http", "none", "storage"], fixture.Registry.SourceTypes.Order());
        Assert.Equal(["http", "none", "storage"], fixture.Registry.TargetTypes.Order());
    }

    internal static IReadOnlyList<JsonElement> Records(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    private static Task<LoopbackHttpServer> ServeAsync(string contentType, byte[] body) =>
        LoopbackHttpServer.StartAsync(async (_, _, response) =>
        {
            response.ContentType = contentType;
            await response.Body.WriteAsync(body);
        });

    private static TargetContext Run(Scenario scenario, ConnectorTestLog? log = null) =>
        new(scenario, Guid.NewGuid(), new StorageChanges(maxKeys: 100), log ?? new ConnectorTestLog());

    private static Scenario Scenario(SourceSettings? source = null, TargetSettings? target = null) => new()
    {
        Name = "Connector test",
        WorkspaceId = Guid.NewGuid(),
        Source = source ?? new SourceSettings(),
        Target = target ?? new TargetSettings(),
    };
}
