using IntegrationHub.Scripting;

namespace IntegrationHub.Tests.Scripting;

public sealed class ScriptSyntaxTests
{
    [Fact]
    public void CheckSyntax_ValidScriptWithTopLevelReturn_ReturnsNull() =>
        Assert.Null(ScriptSyntax.Check("const x = data.length;\nreturn [{ x }];"));

    [Fact]
    public void CheckSyntax_MissingExpression_ReportsOneBasedLineAndColumn()
    {
        var error = ScriptSyntax.Check("const a = 1;\n  const b = ;");

        Assert.NotNull(error);
        Assert.Equal(2, error.Line);
        Assert.Equal(13, error.Column);
        Assert.Contains("Unexpected token", error.Message, StringComparison.Ordinal);
    }

    // Jint prepares nothing nested past 256 levels, and the parser runs out of stack at some thousands: both threw out
    // of CheckSyntax, a 500 on save.
    [Theory]
    [InlineData("sum")]
    [InlineData("brackets")]
    [InlineData("nots")]
    [InlineData("objects")]
    [InlineData("thousands")]
    public void CheckSyntax_NestedTooDeep_ReportsItAsAnErrorOfTheScript(string shape)
    {
        var error = ScriptSyntax.Check(ScriptSandboxTests.DeepScript(shape));

        Assert.NotNull(error);
        Assert.Contains("nests more than 256 levels", error.Message, StringComparison.Ordinal);
        Assert.True(error.Line >= 1 && error.Column >= 1);
    }

    [Fact]
    public void CheckSyntax_NestedTooDeep_PointsIntoTheDeepPart()
    {
        var error = ScriptSyntax.Check("const ok = 1;\nreturn " + string.Concat(Enumerable.Repeat("[", 300)) + string.Concat(Enumerable.Repeat("]", 300)) + ";");

        Assert.Equal(2, error!.Line);
        Assert.InRange(error.Column, 250, 310);
    }

    [Fact]
    public void CheckSyntax_NestedFunctions_DoNotAddUpTowardsTheDepthLimit() =>
        Assert.Null(ScriptSyntax.Check(string.Concat(Enumerable.Repeat("function f() {", 300)) + string.Concat(Enumerable.Repeat("}", 300))));

    [Fact]
    public void CheckSyntax_SloppyModeOnlyConstruct_IsRejectedBecauseScriptsAreStrict() =>
        Assert.NotNull(ScriptSyntax.Check("with (data) { }"));
}
