import { CacheInterceptor, CacheTTL } from '@nestjs/cache-manager';
import { Controller, Get, Inject, Param, UseInterceptors } from '@nestjs/common';
import { UsersService, type User } from './users.service.js';

@Controller('users')
export class UsersController {
  /** How many requests reached a handler (the interceptor answers the others). */
  handled = 0;

  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  // Whole responses, cached by Nest's CacheInterceptor in larder (the `http` cache) for 30 s.
  @Get(':id')
  @UseInterceptors(CacheInterceptor)
  @CacheTTL(30_000)
  find(@Param('id') id: string): Promise<User> {
    this.handled++;
    return this.users.find(id);
  }

  // Not intercepted: every request runs the handler, and @cached on the service answers it.
  @Get(':id/fresh')
  fresh(@Param('id') id: string): Promise<User> {
    this.handled++;
    return this.users.find(id);
  }
}
