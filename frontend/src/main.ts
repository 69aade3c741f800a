console.log("anchorboard");
