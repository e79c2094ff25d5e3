"""The knowledge base: loaders, chunking, embeddings and hybrid retrieval on Qdrant."""
