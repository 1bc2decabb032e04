// @types/node declares the fetch classes but not the DOM's HeadersInit alias.
type HeadersInit = ConstructorParameters<typeof Headers>[0];
