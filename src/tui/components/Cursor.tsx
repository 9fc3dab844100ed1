import React from 'react';
import { Text } from 'ink';

/** The terminal cursor stays hidden; prompts draw their own. */
export function Cursor(): React.ReactElement {
  return <Text inverse> </Text>;
}
