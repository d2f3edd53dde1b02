using System.Text.Json;
using IntegrationHub.Runs;

namespace IntegrationHub.Tests.Runs;

public sealed class JsonPreviewTests
{
    [Fact]
    public void SmallJson_IsShownWholeAndIndented()
    {
        const string json = """{"id":7,"tags":["a","b"],"price":9.50,"ok":true,"none":null,"text":"<b>\"x\"</b>"}""";

        var preview = JsonPreview.Of(json, json.Length)!;

        Assert.False(preview.IsCut);
        Assert.Equal(json.Length, preview.Length);
        Assert.Equal(Indented(json), preview.Text);
    }

    [Fact]
    public void LargeJson_IsCutAfterMaxChars_AtATokensEnd()
    {
        var json = JsonSerializer.Serialize(Enumerable.Range(0, 50_000).Select(i => new { i, name = $"record {i}" }));

        var preview = JsonPreview.Of(json, json.Length)!;

        Assert.True(preview.IsCut);
        Assert.InRange(preview.Text.Length, JsonPreview.MaxChars - 200, JsonPreview.MaxChars + 200);
        Assert.StartsWith(preview.Text, Indented(json), StringComparison.Ordinal);
    }

    [Fact]
    public void AHeadCutInsideAToken_ShowsTheWholeTokensBeforeIt_AndSaysItIsCut()
    {
        var json = JsonSerializer.Serialize(new { first = "whole", second = new string('x', 500) });
        var head = json[..(json.IndexOf("xxx", StringComparison.Ordinal) + 3)];

        var preview = JsonPreview.Of(head, json.Length)!;

        Assert.True(preview.IsCut);
        Assert.Contains("\"first\": \"whole\"", preview.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("xxx", preview.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void StoredTextThatIsNotJson_IsShownAsItIs_AndNothingStoredIsNoPreview()
    {
        Assert.Equal("not { json", JsonPreview.Of("not { json", 10)!.Text);
        Assert.Null(JsonPreview.Of(null, 0));
    }

    private static readonly JsonSerializerOptions IndentedOptions = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The whole text as the serializer indents it, which the preview's start must match.</summary>
    private static string Indented(string json)
    {
        using var document = JsonDocument.Parse(json);
        return JsonSerializer.Serialize(document.RootElement, IndentedOptions);
    }
}
