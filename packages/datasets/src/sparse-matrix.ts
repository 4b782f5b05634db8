// The CSR type and its helpers live in @varia/core (the VAE's batch sources use them too); re-exported here.
export { assertSparseMatrix, type SparseMatrix, sparseRowsInto, sparseRowsToDense } from '@varia/core';
