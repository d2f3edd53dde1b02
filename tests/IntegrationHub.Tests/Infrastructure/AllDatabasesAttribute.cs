using System.Reflection;
using IntegrationHub.Data;
using Xunit.Sdk;

namespace IntegrationHub.Tests.Infrastructure;

/// <summary>
/// Runs a <c>[Theory]</c> once per database provider; the test takes a <see cref="DatabaseProvider"/> first parameter.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AllDatabasesAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) =>
        Enum.GetValues<DatabaseProvider>().Select(p => new object[] { p });
}
